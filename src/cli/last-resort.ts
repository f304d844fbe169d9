import type { Logger } from 'pino';

/**
 * The serve command's last resort for errors nothing else handled. Every known fault has its own
 * handler (the gate fails closed, sessions answer an internal error); this is for the one nobody
 * foresaw, so it must not turn a fault in one session into an outage of all of them.
 *
 * - An unhandled promise rejection ends only the work that promise was doing (one request, say):
 *   it is logged at error level with its stack and the gateway keeps serving. Node's default
 *   (since v15) would stop the process and every session with it.
 * - An uncaught exception may have left shared state half-changed, so serving on is not safe: it
 *   is logged at fatal level and the process exits with code 70 (EX_SOFTWARE), for the supervisor
 *   to restart it. This is Node's default with a structured log line in place of a bare stack.
 *
 * Returns the function that removes both handlers (tests, and a clean shutdown).
 */
export function installLastResort(log: Logger, exit: (code: number) => void = process.exit): () => void {
  const onRejection = (reason: unknown) => {
    const err =
      reason instanceof Error ? { message: reason.message, stack: reason.stack } : { reason: String(reason) };
    log.error({ err }, 'unhandled promise rejection (a bug: please report it); the gateway keeps serving');
  };
  const onException = (err: Error) => {
    log.fatal(
      { err: { message: err.message, stack: err.stack } },
      'uncaught exception (a bug: please report it); the gateway stops so that a supervisor restarts it clean',
    );
    log.flush?.();
    exit(70);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
