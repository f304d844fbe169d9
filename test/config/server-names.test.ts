/**
 * Issue 13 part 6, finding F19: a server name may not contain the aggregate separator. With
 * servers `bank` and `bank__x`, /mcp routed `bank__x__echo` to `bank`; now the config is refused
 * at the key's line, saying why and what to call it instead.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_AGGREGATE_SEPARATOR,
  loadConfigFile,
  parseConfig,
  suggestServerName,
} from '../../src/config/index.js';
import { safeName } from '../../src/init/index.js';

const y = (lines: string[]) => `${lines.join('\n')}\n`;

function configError(text: string, file = '/cfg/toolgate.yaml'): ConfigError {
  try {
    parseConfig(text, file, {});
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('server names and the aggregate separator', () => {
  it('refuses bank__x beside bank, at the key, saying why and suggesting a name', () => {
    const err = configError(
      y([
        'servers:',
        '  bank:',
        '    command: node',
        '  bank__x:',
        '    command: node',
        'grants:',
        '  - {name: a, servers: [bank, bank__x], token_env: T}',
      ]),
    );
    expect(err.issues).toEqual([
      {
        file: '/cfg/toolgate.yaml',
        line: 4,
        column: 3,
        path: 'servers.bank__x',
        message: expect.stringContaining(
          'server name "bank__x" contains "__", the separator of the aggregate endpoint /mcp',
        ),
      },
    ]);
    expect(err.issues[0]!.message).toContain('rename it, e.g. "bank_x"');
    expect(err.message).toMatch(/^\/cfg\/toolgate\.yaml:4:3 servers\.bank__x: /);
  });

  it('names every offending server, each at its own line, from a file on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-names-'));
    const file = join(dir, 'toolgate.yaml');
    writeFileSync(
      file,
      y([
        '# servers',
        'servers:',
        '  a__b: {command: node}',
        '  ok: {command: node}',
        '  __c: {url: "http://127.0.0.1:1/mcp"}',
      ]),
    );
    let err: unknown;
    try {
      loadConfigFile(file, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues.map((i) => [i.file, i.line, i.column, i.path])).toEqual([
      [file, 3, 3, 'servers.a__b'],
      [file, 5, 3, 'servers.__c'],
    ]);
    expect(issues[0]!.message).toContain('e.g. "a_b"');
    expect(issues[1]!.message).toContain('e.g. "c"');
  });

  it('checks the configured separator, not only the default', () => {
    const text = (sep: string) =>
      y([
        `aggregate: {separator: "${sep}"}`,
        'servers:',
        '  my-db: {command: node}',
        '  my__db2: {command: node}',
      ]);
    const dash = configError(text('-'));
    expect(dash.issues.map((i) => [i.line, i.path])).toEqual([[3, 'servers.my-db']]);
    expect(dash.issues[0]!.message).toContain('contains "-"');
    expect(dash.issues[0]!.message).toContain('e.g. "my_db"');
    // With another separator, `__` in a name is fine.
    expect(Object.keys(parseConfig(text('.'), '/cfg/t.yaml', {}).config.servers)).toEqual([
      'my-db',
      'my__db2',
    ]);
  });

  it('suggests a name that is free and has no separator', () => {
    expect(suggestServerName('bank__x', '__', new Set(['bank_x']))).toBe('bank_x-2');
    expect(suggestServerName('a___b', '__', new Set())).toBe('a_b');
    expect(suggestServerName('____', '__', new Set())).toBe('server');
    expect(suggestServerName('a_b', '_', new Set())).toBe('a-b');
    expect(suggestServerName('a-_b', '-_', new Set())).toBe('a_b');
    expect(suggestServerName('a1b', '1', new Set(['a_b']))).toBe('a_b-2');
    expect(suggestServerName('plain', '__', new Set())).toBe('plain');
  });

  it('init never proposes a name the loader would refuse', () => {
    for (const entry of ['my__server', 'a___b', '__x__', 'internal api']) {
      const name = safeName(entry);
      expect(name, entry).not.toContain(DEFAULT_AGGREGATE_SEPARATOR);
      expect(() =>
        parseConfig(y(['servers:', `  ${name}: {command: node}`]), '/cfg/t.yaml', {}),
      ).not.toThrow();
    }
  });
});
