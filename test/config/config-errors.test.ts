/**
 * Issue 15: a mistake in toolgate.yaml is named where it is, at every level of the file: the
 * unknown field with the closest valid name, the missing one, the wrong type or value with what
 * was expected; file:line:col always, never zod's raw text.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { closestName, editDistance } from '../../src/config/suggest.js';

const FILE = '/cfg/toolgate.yaml';
const FS = 'servers:\n  fs: {command: npx}\n';

function errorsOf(text: string): string[] {
  try {
    parseConfig(text, FILE, { TOKEN: 'x' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n');
  }
  throw new Error('the config was accepted');
}

// [what, the file, every line of the error]; file:line:col is the key for a field that is not
// known, the value for a value that is wrong, the map for a field that is missing.
const CASES: [string, string, string[]][] = [
  [
    'a typo in a stdio server: comand',
    'servers:\n  fs:\n    comand: npx\n    args: ["-y", "x"]\n',
    ['3:5 servers.fs.comand: unknown field `comand` (did you mean `command`?)'],
  ],
  [
    'a typo in an HTTP server: ulr',
    'servers:\n  web:\n    ulr: http://127.0.0.1:3000/mcp\n',
    ['3:5 servers.web.ulr: unknown field `ulr` (did you mean `url`?)'],
  ],
  [
    'swapped letters: agrs',
    'servers:\n  fs:\n    command: npx\n    agrs: [x]\n',
    ['4:5 servers.fs.agrs: unknown field `agrs` (did you mean `args`?)'],
  ],
  [
    'a server with both command and url',
    'servers:\n  web:\n    url: http://127.0.0.1:3000/mcp\n    command: npx\n',
    ['3:5 servers.web: a server needs either `command` (stdio) or `url` (HTTP), not both'],
  ],
  [
    'an HTTP server transport that does not exist',
    'servers:\n  web:\n    url: http://127.0.0.1:3000/mcp\n    transport: websocket\n',
    ['4:16 servers.web.transport: "websocket" must be one of `streamable-http`, `sse`'],
  ],
  [
    'a top-level typo: sever',
    `sever:\n  x: 1\n${FS}`,
    ['1:1 sever: unknown field `sever` (did you mean `servers`?)'],
  ],
  ['no servers at all', 'listen: {port: 8080}\n', ['1:1 servers: missing field `servers`']],
  ['an empty file', '', ['1:1 servers: missing field `servers`']],
  ['a list where the file should be a map', '- a\n- b\n', ['1:1: expected a map (key: value), found a list']],
  [
    'a camelCase grant field',
    `${FS}grants:\n  - name: a\n    servers: [fs]\n    tokenEnv: TOKEN\n`,
    ['6:5 grants.0.tokenEnv: unknown field `tokenEnv` (did you mean `token_env`?)'],
  ],
  [
    'a grant policy typo',
    `${FS}grants:\n  - name: a\n    servers: [fs]\n    token_env: TOKEN\n    polcy: ./p.yaml\n`,
    ['7:5 grants.0.polcy: unknown field `polcy` (did you mean `policy`?)'],
  ],
  [
    'a grant for no server',
    `${FS}grants:\n  - name: a\n    servers: []\n    token_env: TOKEN\n`,
    ['5:14 grants.0.servers: needs at least one item'],
  ],
  [
    'audit.retension',
    `audit:\n  retension: 7d\n${FS}`,
    ['2:3 audit.retension: unknown field `retension` (did you mean `retention`?)'],
  ],
  [
    'audit.redact.key',
    `audit:\n  redact:\n    key: [session_id]\n${FS}`,
    ['3:5 audit.redact.key: unknown field `key` (did you mean `keys`?)'],
  ],
  [
    'storage: sqllite',
    `storage:\n  sqllite: ./x.db\n${FS}`,
    ['2:3 storage.sqllite: unknown field `sqllite` (did you mean `sqlite`?)'],
  ],
  [
    'storage: postgres with shema',
    `storage:\n  postgres: postgres://127.0.0.1/test\n  shema: tg\n${FS}`,
    ['3:3 storage.shema: unknown field `shema` (did you mean `schema`?)'],
  ],
  [
    'counters: a backend that does not exist',
    `counters:\n  backend: reddis\n  url: redis://127.0.0.1\n${FS}`,
    ['2:12 counters.backend: "reddis" must be one of `memory`, `sqlite`, `redis` (did you mean `redis`?)'],
  ],
  [
    'counters: redis with ulr',
    `counters:\n  backend: redis\n  ulr: redis://127.0.0.1\n${FS}`,
    ['3:3 counters.ulr: unknown field `ulr` (did you mean `url`?)'],
  ],
  [
    'listen.prot',
    `listen:\n  prot: 8080\n${FS}`,
    ['2:3 listen.prot: unknown field `prot` (did you mean `port`?)'],
  ],
  [
    'a port in quotes',
    `listen:\n  port: "eighty"\n${FS}`,
    ['2:9 listen.port: expected a number, found the string "eighty"'],
  ],
  ['a port out of range', `listen:\n  port: 70000\n${FS}`, ['2:9 listen.port: must be at most 65535']],
  [
    'sessions.idle_timout',
    `sessions:\n  idle_timout: 5m\n${FS}`,
    ['2:3 sessions.idle_timout: unknown field `idle_timout` (did you mean `idle_timeout`?)'],
  ],
  [
    'a webhook secret',
    `approvals:\n  webhooks:\n    - url: https://hooks.example/x\n      secret: HOOK\n${FS}`,
    ['4:7 approvals.webhooks.0.secret: unknown field `secret` (did you mean `secret_env`?)'],
  ],
  [
    'telemetry.otlp_endpont',
    `telemetry:\n  otlp_endpont: http://127.0.0.1:4318/v1/traces\n${FS}`,
    ['2:3 telemetry.otlp_endpont: unknown field `otlp_endpont` (did you mean `otlp_endpoint`?)'],
  ],
  [
    'pins.on_change',
    `pins:\n  on_change: hidden\n${FS}`,
    ['2:14 pins.on_change: "hidden" must be one of `pinned`, `hide`, `deny_call` (did you mean `hide`?)'],
  ],
  [
    'log.level',
    `log: {level: verbose}\n${FS}`,
    ['1:14 log.level: "verbose" must be one of `trace`, `debug`, `info`, `warn`, `error`, `fatal`, `silent`'],
  ],
  [
    'jwt grant claim',
    [
      'jwt:',
      '  issuer: https://idp.example',
      '  audience: toolgate',
      '  jwks_url: https://idp.example/jwks',
      '  grants:',
      '    - name: a',
      '      servers: [fs]',
      '      claim: {group: eng}',
      FS,
    ].join('\n'),
    ['8:7 jwt.grants.0.claim: unknown field `claim` (did you mean `claims`?)'],
  ],
  [
    'a jwt audience that is a number',
    `jwt:\n  issuer: x\n  audience: 5\n  jwks_url: https://idp.example/jwks\n  grants: [{name: a, servers: [fs]}]\n${FS}`,
    ['3:13 jwt.audience: expected a string or a list, found the number 5'],
  ],
  [
    'env as a list',
    'servers:\n  fs:\n    command: npx\n    env: [A=1]\n',
    ['4:10 servers.fs.env: expected a map (key: value), found a list'],
  ],
  [
    'args as a string',
    'servers:\n  fs:\n    command: npx\n    args: -y foo\n',
    ['4:11 servers.fs.args: expected a list, found the string "-y foo"'],
  ],
  [
    'a server given as a command line',
    'servers:\n  fs: npx foo\n',
    ['2:7 servers.fs: expected a map (key: value), found the string "npx foo"'],
  ],
  [
    'a url that is not one',
    'servers:\n  web:\n    url: not a url\n',
    ['3:10 servers.web.url: "not a url" is not a URL'],
  ],
  [
    'a server name with a space',
    'servers:\n  "my server": {command: npx}\n',
    ['2:3 servers.my server: "my server" is not a valid name: letters, digits, underscore and dash only'],
  ],
  [
    'a timeout that is not a duration',
    'servers:\n  fs:\n    command: npx\n    timeout: soon\n',
    ['4:14 servers.fs.timeout: a duration like "500ms", "30s", "10m", "1h"'],
  ],
  [
    'several mistakes at once, each on its line',
    'listen:\n  prot: 1\nservers:\n  fs:\n    comand: npx\n  web:\n    ulr: http://x\n',
    [
      '2:3 listen.prot: unknown field `prot` (did you mean `port`?)',
      '5:5 servers.fs.comand: unknown field `comand` (did you mean `command`?)',
      '7:5 servers.web.ulr: unknown field `ulr` (did you mean `url`?)',
    ],
  ],
];

describe('config errors name the field, where it is, and what was meant', () => {
  it.each(CASES)('%s', (_what, text, expected) => {
    const lines = errorsOf(text);
    expect(lines.sort()).toEqual(expected.map((e) => `${FILE}:${e}`).sort());
    for (const line of lines) {
      expect(line).not.toMatch(/Invalid input|Unrecognized key|expected record|received/);
      expect(line).not.toMatch(/:0:0/);
    }
  });

  it('a file that cannot be read has no line, and no 0:0', async () => {
    const { loadConfigFile } = await import('../../src/config/index.js');
    expect(() => loadConfigFile('/nonexistent/toolgate.yaml')).toThrow(
      /^\/nonexistent\/toolgate\.yaml: file not found; pass --config FILE/,
    );
  });

  it('a word with no close valid name gets no suggestion', () => {
    expect(errorsOf(`${FS}frobnicate: 1\n`)).toEqual([
      `${FILE}:3:1 frobnicate: unknown field \`frobnicate\``,
    ]);
  });
});

describe('closestName', () => {
  it.each([
    ['comand', ['command', 'args', 'env'], 'command'],
    ['agrs', ['command', 'args', 'env'], 'args'],
    ['tokenEnv', ['token_env', 'token_sha256'], 'token_env'],
    ['token-env', ['token_env', 'token_sha256'], 'token_env'],
    ['secret', ['url', 'secret_env', 'format'], 'secret_env'],
    ['token', ['token_env', 'token_sha256'], undefined], // two names it could be
    ['cwd', ['command', 'args', 'env', 'cwd'], undefined], // itself is not a suggestion
    ['zzz', ['command', 'args'], undefined],
    ['ab', ['ac', 'ad'], undefined], // equally close
  ])('%s among %j -> %s', (typed, valid, expected) => {
    expect(closestName(typed, valid)).toBe(expected);
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('agrs', 'args')).toBe(1);
    expect(editDistance('comand', 'command')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
