/**
 * Issue 6: two `toolgate serve` processes on one PostgreSQL schema and one Redis prefix. A call
 * held on one replica is released within about a second by an approval given on the other (admin
 * API) or from the CLI; a denial given on one refuses the call held on the other.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openStore, type Store } from '../../src/store/index.js';
import { PG_URL } from '../store/harness.js';
import { CLI, ensureFreshBuild, type GatewayProcess, ROOT, spawnGateway } from '../support/e2e.js';
import { EVERYTHING } from '../support/gateway.js';
import { type Json, McpSession, until } from '../support/mcp-http.js';

const run = promisify(execFile);
const resultText = (m: Json | undefined) =>
  ((m?.result as Json | undefined)?.content as { text: string }[] | undefined)
    ?.map((c) => c.text)
    .join('\n') ?? '';

describe('approvals across two replicas on PostgreSQL + Redis', () => {
  const schema = `tg_test_${randomBytes(6).toString('hex')}`;
  const prefix = `tg-test-${randomBytes(6).toString('hex')}:`;
  let dir: string;
  let file: string;
  let store: Store;
  const replicas: GatewayProcess[] = [];

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'toolgate-e2e-approvals-'));
    file = join(dir, 'toolgate.yaml');
    writeFileSync(
      file,
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        storage: { postgres: PG_URL, schema },
        counters: { backend: 'redis', url: 'redis://127.0.0.1:6379', prefix },
        auth: { mode: 'none' },
        log: { level: 'warn' },
        servers: {
          everything: {
            ...EVERYTHING,
            policy: { version: '1', default: 'deny', tools: { echo: { approval: { timeout: '2m' } } } },
          },
        },
      }),
    );
    replicas.push(await spawnGateway(file), await spawnGateway(file));
    store = await openStore({ postgres: PG_URL, schema, maxConnections: 2 });
  }, 300_000);

  afterAll(async () => {
    for (const r of replicas) await r.stop();
    await store?.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  });

  async function heldOn(replica: GatewayProcess, message: string) {
    const s = await McpSession.open(`${replica.url}/mcp/everything`);
    const call = s.stream('tools/call', { name: 'echo', arguments: { message } }, 60_000);
    const approval = await until('the held approval', async () => {
      const rows = await store.approvals.list({ status: 'pending' });
      return rows.find((r) => (r.args as Json | undefined)?.message === message);
    });
    return { s, call, id: approval.id };
  }

  async function apiOn(replica: GatewayProcess, path: string, body: unknown) {
    // PostgreSQL storage: the replicas made one admin token beside toolgate.yaml, and share it.
    const token = (
      await run(process.execPath, [CLI, 'admin', 'token', '--config', file], { cwd: ROOT })
    ).stdout.trim();
    const res = await fetch(`${replica.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  it('an approval given through the API of replica A releases the call held on replica B within ~1 s', async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess];
    const { s, call, id } = await heldOn(b, 'cross-replica');
    try {
      const approved = await apiOn(a, `/api/approvals/${id}/approve`, { note: 'from A' });
      const t0 = Date.now();
      expect(approved).toEqual({ status: 200, body: { ok: true } });
      const reply = await call.finished;
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(resultText(reply.body)).toBe('Echo: cross-replica');
    } finally {
      await s.close();
    }
  }, 60_000);

  it('`toolgate approvals deny` (CLI on the shared store) refuses the call held on replica A', async () => {
    const [a] = replicas as [GatewayProcess];
    const { s, call, id } = await heldOn(a, 'denied-from-cli');
    try {
      const t0 = Date.now();
      await run(process.execPath, [CLI, 'approvals', 'deny', id, '--note', 'no', '--config', file], {
        cwd: ROOT,
        timeout: 30_000,
      });
      const reply = await call.finished;
      expect(Date.now() - t0).toBeLessThan(5000); // includes the CLI's own start-up
      expect(resultText(reply.body)).toMatch(/^\[APPROVAL DENIED\] by cli:\S+: no$/);
    } finally {
      await s.close();
    }
  }, 60_000);
});
