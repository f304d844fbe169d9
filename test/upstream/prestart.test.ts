/**
 * Issue 15: `toolgate stdio` starts its server while it loads the gateway. The first channel for
 * that server takes the process over (one process, not two); a server no channel took is stopped
 * by discardPrestarted; one that failed or exited before is replaced, its failure reported as usual.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { StdioServerConfig } from '../../src/config/index.js';
import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import { discardPrestarted, prestartStdioServer, StdioChannel } from '../../src/upstream/stdio-channel.js';
import { isAlive } from '../support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'toolgate-prestart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = pino({ level: 'silent' });
const channels: StdioChannel[] = [];
afterEach(async () => {
  discardPrestarted();
  for (const c of channels.splice(0)) await c.close();
});

// Notes its pid in `file` when it starts; answers every request with its pid.
const SERVER = `
const fs = require('node:fs');
fs.appendFileSync(process.argv[1], process.pid + '\\n');
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const m = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { pid: process.pid } }) + '\\n');
  }
});
process.stdin.on('end', () => process.exit(0));
`;

let n = 0;
function server(extraArg = ''): { cfg: StdioServerConfig; pids: () => number[] } {
  const file = join(dir, `pids-${++n}`);
  const cfg = {
    command: process.execPath,
    args: ['-e', SERVER, file, ...(extraArg ? [extraArg] : [])],
    env: {},
  } as unknown as StdioServerConfig;
  const pids = () => {
    try {
      return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  return { cfg, pids };
}

async function pidOf(channel: StdioChannel): Promise<number> {
  const answer = new Promise<JsonRpcMessage>((resolve) => {
    channel.onmessage = resolve;
  });
  await channel.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
  return ((await answer) as unknown as { result: { pid: number } }).result.pid;
}

describe('servers started ahead', () => {
  it('the first channel for the server takes the started process over', async () => {
    const { cfg, pids } = server();
    prestartStdioServer('s', cfg);
    await expect.poll(pids, { timeout: 10_000 }).toHaveLength(1);
    const channel = new StdioChannel('s', cfg, log);
    channels.push(channel);
    await channel.start();
    expect(await pidOf(channel)).toBe(pids()[0]);
    expect(pids()).toHaveLength(1);
  });

  it('a channel for another server, or the same one with other args, spawns its own', async () => {
    const a = server();
    prestartStdioServer('s', a.cfg);
    const other = new StdioChannel('t', a.cfg, log);
    const changed = new StdioChannel('s', { ...a.cfg, args: [...a.cfg.args, 'x'] }, log);
    channels.push(other, changed);
    await other.start();
    await changed.start();
    await expect.poll(a.pids, { timeout: 10_000 }).toHaveLength(3);
    const used = [await pidOf(other), await pidOf(changed)];
    const left = a.pids().filter((p) => !used.includes(p));
    expect(left).toHaveLength(1);
    // The one nobody took is stopped when the command ends.
    discardPrestarted();
    await expect.poll(() => isAlive(left[0]!), { timeout: 10_000 }).toBe(false);
  });

  it('one that exited before it was taken is replaced by a fresh start', async () => {
    const { cfg, pids } = server();
    prestartStdioServer('s', cfg);
    await expect.poll(pids, { timeout: 10_000 }).toHaveLength(1);
    process.kill(pids()[0]!, 'SIGKILL');
    await expect.poll(() => isAlive(pids()[0]!), { timeout: 10_000 }).toBe(false);
    await new Promise((r) => setTimeout(r, 100)); // its 'exit' event reaches us
    const channel = new StdioChannel('s', cfg, log);
    channels.push(channel);
    await channel.start();
    const pid = await pidOf(channel);
    expect(pid).not.toBe(pids()[0]);
    expect(pids()).toEqual([pids()[0], pid]);
  });

  it('a command that does not exist fails the channel as it would without the head start', async () => {
    const cfg = { command: 'toolgate-no-such-command', args: [], env: {} } as unknown as StdioServerConfig;
    prestartStdioServer('s', cfg);
    await new Promise((r) => setTimeout(r, 100));
    const channel = new StdioChannel('s', cfg, log);
    channels.push(channel);
    await expect(channel.start()).rejects.toThrow(/command not found: toolgate-no-such-command/);
  });
});
