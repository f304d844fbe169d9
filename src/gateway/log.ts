import pino, { type Logger, type LoggerOptions } from 'pino';
import { defaultRedactor, type Redactor } from '../redact/index.js';

/**
 * The gateway's pino options. Every argument of every log call (the object and the message, at any
 * level, in child loggers too) goes through the redactor first: secret member names
 * (`authorization`, `token`, `password`, ...) and secret shapes in text (an upstream's stderr line
 * with a URL password, an error message quoting a Bearer header) never reach the log.
 */
export function loggerOptions(level: string, redactor: Redactor = defaultRedactor): LoggerOptions {
  return {
    level,
    base: { app: 'toolgate' },
    hooks: {
      logMethod(args, method) {
        const shown = (args as unknown[]).map((a) => {
          try {
            // An Error argument is logged as pino would (under `err`), its text redacted.
            if (a instanceof Error) return { err: redactor.value(a) };
            if (typeof a === 'string') return redactor.value(a);
            if (typeof a !== 'object' || a === null) return a;
            return keepIdentifiers(a as Record<string, unknown>, redactor.value(a), redactor);
          } catch {
            // A value the redactor cannot read (a throwing getter, nesting past the stack) is left
            // out: a log line must never fail the request that writes it, nor show it unmasked.
            return typeof a === 'string' ? '[not logged]' : { notLogged: 'the value could not be redacted' };
          }
        });
        return method.apply(this, shown as Parameters<typeof method>);
      },
    },
  };
}

/**
 * The gateway's own log fields that name things rather than hold secrets: `session` is an MCP
 * session id (not a credential: another grant's request with it is answered 404), which an
 * operator needs to follow a session through the log. The member-name rule would mask it (a
 * `session` argument in a tool call is usually a cookie); at the top level of a log call it is
 * kept, its text still checked for secret shapes.
 */
const LOG_IDENTIFIERS = ['session'] as const;

function keepIdentifiers(raw: Record<string, unknown>, redacted: unknown, redactor: Redactor): unknown {
  if (typeof redacted !== 'object' || redacted === null) return redacted;
  for (const key of LOG_IDENTIFIERS) {
    const value = Object.hasOwn(raw, key) ? raw[key] : undefined;
    if (typeof value === 'string') (redacted as Record<string, unknown>)[key] = redactor.text(value);
  }
  return redacted;
}

/**
 * Logs go to stderr, always: with `toolgate stdio`, stdout carries MCP and nothing else. Given the
 * gateway's redactor, `audit.redact` names and patterns are masked in logs too.
 */
export function createLogger(level: string, redactor?: Redactor): Logger {
  return pino(loggerOptions(level, redactor), pino.destination({ fd: 2, sync: false }));
}
