/**
 * The gateway's logger runs every log call through the redactor: secret names in the object,
 * secret shapes in its text and in the message, in child loggers too, and an Error's message.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/gateway/log.js';

const TG = `tg_${'Z9y8'.repeat(10)}abc`;

function capture() {
  const lines: string[] = [];
  const log = pino(loggerOptions('debug'), { write: (s: string) => lines.push(s) });
  return { log, lines, text: () => lines.join('') };
}

describe('gateway logs', () => {
  it("keep the MCP session id of the gateway's own session field; a token put there is still masked", () => {
    const { log, lines } = capture();
    log.warn({ session: 'fc818249ab2feee8cbbc90645c5d76ca', args: { session: 'cookie-SECRET-9' } }, 'x');
    log.warn({ session: `stolen ${TG}` }, 'y');
    const first = JSON.parse(lines[0]!) as { session: string; args: { session: string } };
    expect(first.session).toBe('fc818249ab2feee8cbbc90645c5d76ca');
    expect(first.args.session).not.toContain('SECRET-9'); // a nested `session` is a secret name
    expect(lines[1]).not.toContain(TG);
  });

  it('mask secret names and shapes in objects, messages and child loggers', () => {
    const { log, lines, text } = capture();
    log.info(
      {
        headers: { authorization: 'Bearer abc123def456', 'x-api-key': 'k-1', accept: 'json' },
        url: 'postgres://app:pw-SECRET-1@db/x',
        token: 'SECRET-2',
      },
      `upstream said ${TG}`,
    );
    log
      .child({ upstream: 'u' })
      .warn({ stderr: 'password=SECRET-3 and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln' }, 'x');
    log.error(new Error('connect https://u:SECRET-4@h failed'));
    log.debug('printf %s', `Authorization: Basic ${Buffer.from('u:SECRET-5').toString('base64')}`);
    const all = text();
    expect(lines).toHaveLength(4);
    for (const secret of ['SECRET', TG, 'abc123def456', 'k-1', 'eyJhbGci', 'dTpTRUNSRVQtNQ'])
      expect(all).not.toContain(secret);
    const first = JSON.parse(lines[0]!);
    expect(first.headers).toEqual({ authorization: '[REDACTED]', 'x-api-key': '[REDACTED]', accept: 'json' });
    expect(first.url).toBe('postgres://app:[REDACTED]@db/x');
    expect(first.msg).toBe('upstream said [REDACTED:toolgate-token]');
    expect(JSON.parse(lines[1]!)).toMatchObject({
      upstream: 'u',
      stderr: 'password=[REDACTED] and [REDACTED:jwt]',
    });
    expect(JSON.parse(lines[2]!).err.message).toBe('connect https://u:[REDACTED]@h failed');
    expect(JSON.parse(lines[3]!).msg).toBe('printf Authorization: Basic [REDACTED]');
  });

  it('leave out a value the redactor cannot read, and never throw', () => {
    const { log, lines } = capture();
    const hostile = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter fails');
      },
    });
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(() => log.warn({ hostile }, 'one')).not.toThrow();
    expect(() => log.warn(deep, 'two')).not.toThrow();
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'one', notLogged: 'the value could not be redacted' });
    expect(JSON.parse(lines[1]!)).toMatchObject({ msg: 'two', notLogged: 'the value could not be redacted' });
  });
});
