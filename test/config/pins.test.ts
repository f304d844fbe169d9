import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.js';

const y = (lines: string[]) => `${lines.join('\n')}\n`;
const SERVERS = ['servers:', '  weather:', '    command: node'];

function rejected(text: string): ConfigError {
  try {
    parseConfig(text, '/cfg/toolgate.yaml', {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

describe('pins.on_change in toolgate.yaml', () => {
  it('defaults to pinned: a changed tool is listed as it was accepted', () => {
    expect(parseConfig(y(SERVERS), '/cfg/toolgate.yaml', {}).config.pins).toEqual({ on_change: 'pinned' });
    expect(parseConfig(y(['pins: {}', ...SERVERS]), '/cfg/toolgate.yaml', {}).config.pins).toEqual({
      on_change: 'pinned',
    });
  });

  it.each(['pinned', 'hide', 'deny_call'])('accepts %s', (mode) => {
    const { config } = parseConfig(
      y(['pins:', `  on_change: ${mode}`, ...SERVERS]),
      '/cfg/toolgate.yaml',
      {},
    );
    expect(config.pins.on_change).toBe(mode);
  });

  it('refuses any other value with file:line:column, the path and the allowed values', () => {
    const err = rejected(y([...SERVERS, 'pins:', '  on_change: allow']));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({
      file: '/cfg/toolgate.yaml',
      line: 5,
      column: 14,
      path: 'pins.on_change',
    });
    for (const mode of ['pinned', 'hide', 'deny_call']) expect(err.issues[0]!.message).toContain(mode);
    expect(err.message).toMatch(/^\/cfg\/toolgate\.yaml:5:14 pins\.on_change: /);
  });

  it('refuses an unknown key under pins, at the key', () => {
    const err = rejected(y(['pins:', '  on_chnage: hide', ...SERVERS]));
    expect(err.issues[0]).toMatchObject({ line: 2, column: 3, path: 'pins.on_chnage' });
    expect(err.issues[0]!.message).toContain('unknown field `on_chnage`');
  });
});
