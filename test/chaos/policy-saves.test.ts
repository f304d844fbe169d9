/**
 * Issue 14 (F3): hot reload follows the policy file by name, whatever way it is saved. Each kind of
 * save an operator, an editor or a tool makes (in place, rename over it, rename of an invalid
 * version then a valid one, truncation, deletion, re-creation, `sed -i`) is observed through a
 * real call's outcome, and the admin API shows the ENFORCED text next to the state of the file.
 *
 * One gateway and one open session live through the whole sequence, as on a real day: the tests
 * run in order and each starts from the state the previous one left. Waits are for conditions
 * (the call outcome, the API's file state), never fixed sleeps.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXEC_LOG_STDIO_COMMAND, executions } from '../fixtures/servers/exec-log-server.js';
import { connect, eventually, type Session } from '../support/e2e.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** A version of the policy: echo is denied with `tag` as the reason (so the outcome names the version). */
const denyEcho = (tag: string) =>
  `version: "1"\ndefault: allow\ntools:\n  echo: {deny: true, reason: "${tag}"}\n`;
const ALLOW_ALL = 'version: "1"\ndefault: allow\n';
/** Invalid at line 4, column 16 (`deny` must be a boolean). */
const INVALID = 'version: "1"\ndefault: allow\ntools:\n  echo: {deny: maybe}\n';

interface PolicyView {
  text: string;
  file: {
    state: 'in_sync' | 'invalid' | 'missing';
    error: { message: string; issues: { line: number; column: number; message: string }[] } | null;
    lastError: { message: string } | null;
  } | null;
}

describe('every kind of policy save is seen, by a real call', () => {
  let dir: string;
  let gw: TestGateway;
  let file: string;
  let s: Session;
  let seq = 0;
  /** Messages of calls the agent saw run, and of calls it saw denied. */
  const ranSeen: string[] = [];
  const deniedSeen: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'toolgate-policy-saves-'));
    gw = await startTestGateway(
      {
        auth: { mode: 'none' },
        servers: {
          lenient: {
            ...EXEC_LOG_STDIO_COMMAND,
            env: { EXEC_LOG: join(dir, 'exec.jsonl') },
            policy: './policy.yaml',
          },
        },
      },
      { files: { 'policy.yaml': ALLOW_ALL } },
    );
    file = join(gw.dir, 'policy.yaml');
    s = await connect(`${gw.url}/mcp/lenient`);
  });
  afterAll(async () => {
    await s?.close();
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The outcome of one echo call, as the agent sees it. */
  async function echo(): Promise<string> {
    const message = `m${++seq}`;
    const r = await s.call('echo', { message });
    (r.isError ? deniedSeen : ranSeen).push(message);
    return r.text.replace(message, '<m>');
  }
  /** Waits until an echo call is decided by the version tagged `tag` ('allowed': runs upstream). */
  async function enforced(tag: string): Promise<void> {
    const expected = tag === 'allowed' ? 'ran echo: <m>' : `[POLICY DENIED] ${tag}`;
    await eventually(async () => expect(await echo()).toBe(expected), 15_000, 100);
  }
  async function view(): Promise<PolicyView> {
    return (await (await gw.adminFetch('/api/policies/lenient')).json()) as PolicyView;
  }
  async function fileState(state: 'in_sync' | 'invalid' | 'missing'): Promise<PolicyView> {
    return eventually(async () => {
      const v = await view();
      expect(v.file?.state).toBe(state);
      return v;
    }, 15_000);
  }
  const logged = (text: string) => gw.logs.filter((l) => l.includes(text)).length;
  const renameOver = (text: string) => {
    const tmp = join(gw.dir, `.policy.yaml.${++seq}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  };

  it('starts in sync, and the API shows the enforced text', async () => {
    await enforced('allowed');
    const v = await view();
    expect(v.text).toBe(ALLOW_ALL);
    expect(v.file).toMatchObject({ state: 'in_sync', error: null, lastError: null });
  });

  it('in place: a valid write applies', async () => {
    writeFileSync(file, denyEcho('v1 in place'));
    await enforced('v1 in place');
    expect((await view()).text).toBe(denyEcho('v1 in place'));
  });

  it('rename over it: a valid version applies', async () => {
    renameOver(denyEcho('v2 renamed'));
    await enforced('v2 renamed');
  });

  it('rename over it: an invalid version is logged once with its line, and the last good one serves', async () => {
    const before = logged('policy file is invalid');
    renameOver(INVALID);
    const v = await fileState('invalid');
    expect(v.text).toBe(denyEcho('v2 renamed'));
    expect(v.file?.error?.issues).toEqual([expect.objectContaining({ line: 4, column: 16 })]);
    expect(v.file?.error?.message).toContain(`${file}:4:16 tools.echo.deny`);
    expect(await echo()).toBe('[POLICY DENIED] v2 renamed');
    expect(logged('policy file is invalid')).toBe(before + 1);
    expect(gw.logs.find((l) => l.includes('policy file is invalid') && l.includes(':4:16'))).toBeDefined();
  });

  it('rename over it after the invalid one: the valid version applies (the watch was not lost)', async () => {
    const before = logged('policy file is invalid');
    renameOver(denyEcho('v3 renamed after invalid'));
    await enforced('v3 renamed after invalid');
    const v = await fileState('in_sync');
    expect(v.text).toBe(denyEcho('v3 renamed after invalid'));
    // The last error is kept for the operator, and the invalid version was logged only once.
    expect(v.file?.error).toBeNull();
    expect(v.file?.lastError?.message).toContain(':4:16');
    expect(logged('policy file is invalid')).toBe(before);
  });

  it('in place after renames: still followed', async () => {
    writeFileSync(file, denyEcho('v4 in place again'));
    await enforced('v4 in place again');
  });

  it('truncated: invalid, the last good version serves', async () => {
    truncateSync(file, 0);
    const v = await fileState('invalid');
    expect(v.text).toBe(denyEcho('v4 in place again'));
    expect(await echo()).toBe('[POLICY DENIED] v4 in place again');
    // A valid write after the truncation applies.
    writeFileSync(file, ALLOW_ALL);
    await enforced('allowed');
  });

  it('deleted: missing, the last good version serves and the API says so', async () => {
    writeFileSync(file, denyEcho('v5 before delete'));
    await enforced('v5 before delete');
    unlinkSync(file);
    const v = await fileState('missing');
    expect(v.text).toBe(denyEcho('v5 before delete'));
    expect(v.file?.error?.message).toContain('no such file');
    expect(await echo()).toBe('[POLICY DENIED] v5 before delete');
  });

  it('re-created: the new file applies', async () => {
    writeFileSync(file, denyEcho('v6 recreated'));
    await enforced('v6 recreated');
    expect((await fileState('in_sync')).text).toBe(denyEcho('v6 recreated'));
  });

  it('sed -i (a new file renamed over the old one): applies', async () => {
    execFileSync('sed', ['-i', 's/v6 recreated/v7 by sed/', file]);
    await enforced('v7 by sed');
    execFileSync('sed', ['-i', 's/echo: {deny/other-tool: {deny/', file]);
    await enforced('allowed');
  });

  it('what the agent saw denied never ran upstream; what it saw run ran exactly once', () => {
    const ran = executions(join(dir, 'exec.jsonl')).map((e) => String(e.args.message));
    expect(deniedSeen.length).toBeGreaterThan(5);
    expect(ranSeen.length).toBeGreaterThan(2);
    expect(ran.sort()).toEqual([...ranSeen].sort());
  });
});
