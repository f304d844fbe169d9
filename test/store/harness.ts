import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.js';

export type Row = Record<string, unknown>;

/**
 * One database for one test, reachable three ways: as a Store (open() may be called again to get
 * a second writer on the same data), and by raw SQL with `$n` placeholders, which tampering tests
 * use to do what an attacker with database access would.
 */
export interface StoreHarness {
  readonly kind: 'sqlite' | 'postgres';
  open(): Promise<Store>;
  exec(sql: string, params?: unknown[]): Promise<Row[]>;
  dispose(): Promise<void>;
}

export type HarnessFactory = () => Promise<StoreHarness>;

export const PG_URL = process.env.TOOLGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const sqliteHarness: HarnessFactory = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-store-'));
  const file = join(dir, 'toolgate.db');
  const opened: Store[] = [];
  let raw: Database.Database | undefined;
  return {
    kind: 'sqlite',
    async open() {
      const s = await openStore({ sqlite: file });
      opened.push(s);
      return s;
    },
    async exec(sql, params = []) {
      raw ??= new Database(file);
      raw.pragma('busy_timeout = 5000');
      const stmt = raw.prepare(sql.replace(/\$\d+/g, '?'));
      if (stmt.reader) return stmt.all(...params) as Row[];
      stmt.run(...params);
      return [];
    },
    async dispose() {
      for (const s of opened) await s.close();
      raw?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** Each harness gets its own schema, so tests (and test files running in parallel) never share rows. */
export const postgresHarness: HarnessFactory = async () => {
  const schema = `tg_test_${randomBytes(6).toString('hex')}`;
  const opened: Store[] = [];
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  return {
    kind: 'postgres',
    async open() {
      const s = await openStore({ postgres: PG_URL, schema, maxConnections: 4 });
      opened.push(s);
      return s;
    },
    async exec(sql, params = []) {
      return (await client.query(sql, params)).rows as Row[];
    },
    async dispose() {
      for (const s of opened) await s.close();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
};
