/**
 * A grant name is one identity (sessions, counters and policy are keyed by it): a config that
 * gives a grant and a JWT grant the same name is a config error naming the line of each.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, validateConfigSemantics } from '../../src/config/index.js';

const YAML = `servers:
  bank: {command: node}
grants:
  - name: team
    servers: [bank]
    token_sha256: ${'a'.repeat(64)}
jwt:
  issuer: https://idp.example/
  audience: toolgate
  jwks_url: https://idp.example/jwks.json
  grants:
    - name: ops
      servers: [bank]
    - name: team
      servers: [bank]
`;

describe('grant names', () => {
  it('a jwt.grants name used by a config grant is an error naming both lines', () => {
    const loaded = parseConfig(YAML, '/etc/toolgate.yaml', {});
    let err: unknown;
    try {
      validateConfigSemantics(loaded);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toEqual([
      {
        file: '/etc/toolgate.yaml',
        line: 14,
        column: 13,
        path: 'jwt.grants.1.name',
        message:
          'grant name "team" is already used by grants.0.name (line 4); grant names must be unique across grants and jwt.grants',
      },
    ]);
    expect((err as Error).message).toMatch(
      /^\/etc\/toolgate\.yaml:14:13 jwt\.grants\.1\.name: grant name "team"/,
    );
  });

  it('two config grants of one name are refused the same way; distinct names load', () => {
    const twice = YAML.replace('    - name: team\n      servers: [bank]\n', '').replace(
      'jwt:',
      `  - name: team\n    servers: [bank]\n    token_sha256: ${'b'.repeat(64)}\njwt:`,
    );
    expect(() => validateConfigSemantics(parseConfig(twice, 'x.yaml', {}))).toThrow(
      /x\.yaml:7:\d+ grants\.1\.name: grant name "team" is already used by grants\.0\.name \(line 4\)/,
    );
    const fine = YAML.replace(/- name: team\n {6}servers/, '- name: team-jwt\n      servers');
    expect(() => validateConfigSemantics(parseConfig(fine, 'x.yaml', {}))).not.toThrow();
  });
});
