import pino, { type Logger } from 'pino';

/**
 * Logs go to stderr, always: with `toolgate stdio`, stdout carries MCP and nothing else.
 * Authorization headers and tokens are redacted wherever they appear in a log object.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { app: 'toolgate' },
      redact: {
        paths: ['*.authorization', '*.token', 'authorization', 'token', 'headers.authorization'],
        censor: '[REDACTED]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
