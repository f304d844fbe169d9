import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.js';

const y = (lines: string[]) => `${lines.join('\n')}\n`;
const SERVERS = ['servers:', '  weather:', '    command: node'];

describe('sessions.max_unsent_bytes in toolgate.yaml', () => {
  it('defaults to 8 MiB', () => {
    expect(parseConfig(y(SERVERS), '/cfg/toolgate.yaml', {}).config.sessions.max_unsent_bytes).toBe(
      8 * 1024 * 1024,
    );
    const partial = parseConfig(y(['sessions: {max: 5}', ...SERVERS]), '/cfg/toolgate.yaml', {});
    expect(partial.config.sessions.max_unsent_bytes).toBe(8 * 1024 * 1024);
  });

  it('takes a positive byte count', () => {
    const { config } = parseConfig(
      y(['sessions:', '  max_unsent_bytes: 65536', ...SERVERS]),
      '/cfg/toolgate.yaml',
      {},
    );
    expect(config.sessions.max_unsent_bytes).toBe(65536);
  });

  it.each(['0', '-1', '1.5', '"8MiB"'])('refuses %s with file:line:column and the path', (value) => {
    let err: unknown;
    try {
      parseConfig(y(['sessions:', `  max_unsent_bytes: ${value}`, ...SERVERS]), '/cfg/toolgate.yaml', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toMatchObject({
      file: '/cfg/toolgate.yaml',
      line: 2,
      column: 21,
      path: 'sessions.max_unsent_bytes',
    });
    expect((err as ConfigError).message).toMatch(/^\/cfg\/toolgate\.yaml:2:21 sessions\.max_unsent_bytes: /);
  });
});
