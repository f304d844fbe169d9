import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { postgresHarness } from './harness.js';
import { storeSuite } from './store.suite.js';

storeSuite('postgres', postgresHarness);

describe('postgres specifics', () => {
  it('reports an unreachable server as STORE_UNAVAILABLE without leaking the password', async () => {
    const err = await openStore({ postgres: 'postgres://u:hunter2@127.0.0.1:1/test' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((err as Error).message).not.toContain('hunter2');
    expect((err as Error).message).toContain('127.0.0.1:1');
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(
      openStore({ postgres: 'postgres://127.0.0.1/test', schema: 'x; DROP TABLE y' }),
    ).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });

  it('applies migrations once when two replicas open a fresh schema at the same time', async () => {
    const h = await postgresHarness();
    try {
      const [a, b] = await Promise.all([h.open(), h.open()]);
      expect([a.kind, b.kind]).toEqual(['postgres', 'postgres']);
      const versions = await h.exec('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
    } finally {
      await h.dispose();
    }
  });
});
