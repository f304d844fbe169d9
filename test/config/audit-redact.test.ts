/**
 * `audit.redact` in toolgate.yaml: names, patterns and paths for the redactor; a pattern that does
 * not compile, matches the empty string or can backtrack catastrophically is refused at load with
 * file:line:column like every other config error, and the gateway does not start.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { Redactor } from '../../src/redact/index.js';

const y = (lines: string[]) => `${lines.join('\n')}\n`;
const SERVERS = ['servers:', '  weather:', '    command: node'];
const FILE = '/cfg/toolgate.yaml';

function rejected(text: string): ConfigError {
  try {
    parseConfig(text, FILE, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

describe('audit.redact', () => {
  it('defaults to nothing extra', () => {
    expect(parseConfig(y(SERVERS), FILE, {}).config.audit.redact).toEqual({
      keys: [],
      patterns: [],
      paths: [],
    });
  });

  it('reads keys, patterns (plain or with flags) and paths, and the redactor uses them', () => {
    const { config } = parseConfig(
      y([
        ...SERVERS,
        'audit:',
        '  redact:',
        '    keys: [ssn, card-number]',
        "    patterns: ['ACME-[0-9]{6}', {regex: 'internal-[a-z]+', flags: i}]",
        '    paths: [args.note]',
      ]),
      FILE,
      {},
    );
    const r = new Redactor(config.audit.redact);
    expect(
      r.args({ ssn: '1', cardNumber: '4111', text: 'id ACME-123456 INTERNAL-Foo', note: 'n', keep: 'k' }),
    ).toEqual({
      ssn: '[REDACTED]',
      cardNumber: '[REDACTED]',
      text: 'id [REDACTED] [REDACTED]',
      note: '[REDACTED]',
      keep: 'k',
    });
  });

  it('still reads the older list of argument paths', () => {
    const { config } = parseConfig(
      y([...SERVERS, 'audit:', '  redact: [card.number, "items.*.ssn"]']),
      FILE,
      {},
    );
    expect(config.audit.redact).toEqual({ keys: [], patterns: [], paths: ['card.number', 'items.*.ssn'] });
  });

  it.each([
    ["'(a+)+$'", 8, 9, 'audit.redact.patterns.0', /backtrack catastrophically/],
    ["'([a-z]|[a-c])*x'", 8, 9, 'audit.redact.patterns.0', /alternatives/],
    ["'(x)\\1'", 8, 9, 'audit.redact.patterns.0', /backreference/],
    ["'a*'", 8, 9, 'audit.redact.patterns.0', /empty string/],
    ["'('", 8, 9, 'audit.redact.patterns.0', /invalid regex/],
    ["{regex: '(', flags: i}", 8, 17, 'audit.redact.patterns.0.regex', /invalid regex/],
    ["{regex: '(a|a)+', flags: i}", 8, 17, 'audit.redact.patterns.0.regex', /backtrack catastrophically/],
  ])('refuses the pattern %s at its line and column', (pattern, line, column, path, message) => {
    const err = rejected(
      y([...SERVERS, 'audit:', '  redact:', '    keys: [ssn]', '    patterns:', `      - ${pattern}`]),
    );
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ file: FILE, line, column, path });
    expect(err.issues[0]!.message).toMatch(message);
    expect(err.message).toMatch(
      new RegExp(`^/cfg/toolgate\\.yaml:${line}:${column} ${path.replaceAll('.', '\\.')}: `),
    );
  });

  it('refuses an unknown field under audit.redact, at the key', () => {
    const err = rejected(y([...SERVERS, 'audit:', '  redact:', '    pattern: [x]']));
    expect(err.issues[0]).toMatchObject({ line: 6, column: 5, path: 'audit.redact.pattern' });
  });
});
