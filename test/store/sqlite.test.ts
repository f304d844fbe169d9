import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { sqliteHarness } from './harness.js';
import { storeSuite } from './store.suite.js';

storeSuite('sqlite', sqliteHarness);

describe('sqlite specifics', () => {
  it('creates missing parent folders and uses WAL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-sqlite-'));
    const store = await openStore({ sqlite: join(dir, 'nested', 'deeper', 'toolgate.db') });
    expect(store.kind).toBe('sqlite');
    await store.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(dir, 'nested', 'deeper', 'toolgate.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a new database, and its WAL files, readable by the owner only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-sqlite-'));
    const store = await openStore({ sqlite: join(dir, 'toolgate.db') });
    const files = readdirSync(dir).filter((f) => f.startsWith('toolgate.db'));
    expect(files).toEqual(expect.arrayContaining(['toolgate.db', 'toolgate.db-wal']));
    for (const f of files) expect([f, (statSync(join(dir, f)).mode & 0o777).toString(8)]).toEqual([f, '600']);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports an unopenable file as STORE_UNAVAILABLE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-sqlite-'));
    writeFileSync(join(dir, 'a-file'), '');
    const err = await openStore({ sqlite: join(dir, 'a-file', 'toolgate.db') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((err as Error).message).toContain('a-file');
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects an empty storage config', async () => {
    await expect(openStore({ sqlite: '' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
