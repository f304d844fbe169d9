/**
 * Issue 14 part 4 / review F9: when the store cannot take the write-ahead record of a tools/call,
 * the call is refused (fail closed) with a message that says so, and the server never sees it.
 * The store is real (SQLite, PostgreSQL) and made to refuse audit inserts with a trigger the test
 * installs and later drops; the upstream is the test's own counting server, so "never ran" is
 * counted, not assumed. Afterwards calls go through again and the refusal's own record is written.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type CountingServer, startCountingServer } from '../fixtures/servers/counting-server.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { McpSession, resultText, until } from '../support/mcp-http.js';

const PG_URL = process.env.TOOLGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Makes the store refuse (and accept again) inserts into the audit table. */
interface Refuser {
  refuse(): Promise<void>;
  accept(): Promise<void>;
  close(): Promise<void>;
}

function sqliteRefuser(file: string): Refuser {
  const db = new Database(file);
  return {
    refuse: async () => {
      db.exec(
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit inserts refused by the test'); END",
      );
    },
    accept: async () => {
      db.exec('DROP TRIGGER refuse_audit');
    },
    close: async () => {
      db.close();
    },
  };
}

async function postgresRefuser(schema: string): Promise<Refuser> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  return {
    refuse: async () => {
      await c.query(
        `CREATE FUNCTION "${schema}".refuse_audit() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION 'audit inserts refused by the test'; END $$`,
      );
      await c.query(
        `CREATE TRIGGER refuse_audit BEFORE INSERT ON "${schema}".audit FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_audit()`,
      );
    },
    accept: async () => {
      await c.query(`DROP TRIGGER refuse_audit ON "${schema}".audit`);
      await c.query(`DROP FUNCTION "${schema}".refuse_audit()`);
    },
    close: async () => {
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

async function readyz(gw: TestGateway): Promise<{ status: number; problems: Record<string, string> }> {
  const res = await fetch(`${gw.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { problems: Record<string, string> };
  return { status: res.status, problems: body.problems };
}

async function failsClosed(
  storage: (dir: string) => Record<string, unknown>,
  refuser: (dir: string) => Promise<Refuser>,
) {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-refused-'));
  const execFile = join(dir, 'executed.txt');
  writeFileSync(execFile, '');
  const executed = () => readFileSync(execFile, 'utf8').split('\n').filter(Boolean);
  let server: CountingServer | undefined;
  let gw: TestGateway | undefined;
  let store: Refuser | undefined;
  try {
    server = await startCountingServer(execFile);
    gw = await startTestGateway({
      auth: { mode: 'none' },
      storage: storage(dir),
      servers: { counter: { url: server.url, policy: ALLOW_ALL } },
    });
    store = await refuser(dir);
    const s = await McpSession.open(`${gw.url}/mcp/counter`);
    const count = (id: string) => s.request('tools/call', { name: 'count', arguments: { id } });

    expect(resultText(await count('before'))).toBe('counted before');
    await store.refuse();

    // Refused, and the agent is told why and what to do; the server never saw the call.
    const refused = await count('refused-1');
    expect(refused.status).toBe(200);
    expect((refused.body?.result as { isError?: boolean } | undefined)?.isError).toBe(true);
    expect(resultText(refused)).toMatch(
      /^\[AUDIT UNAVAILABLE\] the gateway did not forward this call because the audit store cannot record it: .*refused by the test.*nothing reached the server/,
    );
    const concurrent = await Promise.all(['refused-2', 'refused-3', 'refused-4'].map(count));
    for (const r of concurrent) expect(resultText(r)).toMatch(/^\[AUDIT UNAVAILABLE\]/);
    expect(executed()).toEqual(['before']);
    expect(gw.audit.stats.durableFailed).toBe(4);
    // Not ready, with the reason, while the store refuses.
    const down = await readyz(gw);
    expect(down.status).toBe(503);
    expect(down.problems.audit).toMatch(/audit log cannot write to the store .*refused by the test/);

    await store.accept();
    expect(resultText(await count('after'))).toBe('counted after');
    expect(executed()).toEqual(['before', 'after']);
    // The refusals, kept in memory meanwhile, are written; the refused calls' intents never are.
    const records = await until('the refusals in the store', async () => {
      const r = await gw!.store.audit.query({ limit: 1000 });
      return r.filter((x) => x.rule === 'audit_unavailable').length === 4 ? r : undefined;
    });
    const ids = (decision: string) =>
      records.filter((r) => r.decision === decision).map((r) => (r.args as { id: string }).id);
    expect(ids('allow')).toEqual(['before', 'after']);
    expect(ids('deny').sort()).toEqual(['refused-1', 'refused-2', 'refused-3', 'refused-4']);
    await until('readiness back', async () => ((await readyz(gw!)).problems.audit ? undefined : true));
  } finally {
    await gw?.close();
    await store?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('a store that refuses the write-ahead record', () => {
  it('SQLite: the call fails closed with a reason and never reaches the server', async () => {
    await failsClosed(
      (dir) => ({ sqlite: join(dir, 'toolgate.db') }),
      async (dir) => sqliteRefuser(join(dir, 'toolgate.db')),
    );
  }, 60_000);

  it('PostgreSQL: the call fails closed with a reason and never reaches the server', async () => {
    const schema = `tg_test_${randomBytes(6).toString('hex')}`;
    await failsClosed(
      () => ({ postgres: PG_URL, schema }),
      () => postgresRefuser(schema),
    );
  }, 60_000);
});
