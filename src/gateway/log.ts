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
            return typeof a === 'string' || (typeof a === 'object' && a !== null) ? redactor.value(a) : a;
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
 * Logs go to stderr, always: with `toolgate stdio`, stdout carries MCP and nothing else. Given the
 * gateway's redactor, `audit.redact` names and patterns are masked in logs too.
 */
export function createLogger(level: string, redactor?: Redactor): Logger {
  return pino(loggerOptions(level, redactor), pino.destination({ fd: 2, sync: false }));
}
