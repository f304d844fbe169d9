import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { sessionLimits } from '../../src/gateway/session-sizing.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function config(yaml: string) {
  return parseConfig(yaml, '/cfg/toolgate.yaml', {}).config;
}
const HTTP = 'servers:\n  bank: {url: "http://127.0.0.1:1/mcp"}\n';
const STDIO = 'servers:\n  fx: {command: node}\n';
const SHARED_STDIO = 'servers:\n  fx: {command: node, shared: true}\n';

describe('sessionLimits: sessions.max sized to the machine', () => {
  it.each([
    // [what, yaml, memory, max, per grant]
    [
      'a stdio server on 24 GiB: 64 + 1 + 1 MiB a session',
      STDIO,
      24 * GIB,
      Math.floor((12 * GIB) / (66 * MIB)),
      46,
    ],
    ['a shared stdio server spawns no child per session', SHARED_STDIO, 24 * GIB, 6144, 1536],
    ['HTTP only on 24 GiB: 2 MiB a session', HTTP, 24 * GIB, 6144, 1536],
    ['HTTP only on 64 GiB: at most 10,000', HTTP, 64 * GIB, 10_000, 2500],
    ['a stdio server on 1 GiB: at least 16', STDIO, 1 * GIB, 16, 4],
    ['sessions.max set: kept', `${STDIO}sessions: {max: 50}\n`, 24 * GIB, 50, 12],
    ['max_per_grant set: kept', `${STDIO}sessions: {max: 50, max_per_grant: 7}\n`, 24 * GIB, 50, 7],
    ['a bigger replay buffer costs more', `${HTTP}sessions: {replay_bytes: 7340032}\n`, 16 * GIB, 1024, 256],
  ])('%s', (_what, yaml, memory, max, perGrant) => {
    const limits = sessionLimits(config(yaml), memory);
    expect({ max: limits.max, perGrant: limits.perGrant }).toEqual({ max, perGrant });
  });

  it('reads grants[].max_sessions and the unused idle timeout from toolgate.yaml', () => {
    const c = config(
      `${HTTP}sessions: {idle_timeout_unused: 30s}\ngrants:\n  - {name: a, servers: [bank], token_env: T, max_sessions: 3}\n`,
    );
    expect(c.grants[0]?.max_sessions).toBe(3);
    expect(c.sessions.idle_timeout_unused).toBe(30_000);
    expect(config(HTTP).sessions.idle_timeout_unused).toBe(60_000);
    expect(() =>
      config(`${HTTP}grants:\n  - {name: a, servers: [bank], token_env: T, max_sessions: 0}\n`),
    ).toThrow(/max_sessions/);
  });
});
