/**
 * The serve command's last resort (src/cli/last-resort.ts): an unhandled rejection is logged and
 * the process keeps serving; an uncaught exception is logged at fatal level and exits 70.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { installLastResort } from '../../src/cli/last-resort.js';

const removers: (() => void)[] = [];
afterEach(() => {
  for (const r of removers.splice(0)) r();
});

function install() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  const exits: number[] = [];
  removers.push(installLastResort(log, (code) => exits.push(code)));
  return { lines, exits };
}

describe('installLastResort', () => {
  it('logs an unhandled rejection with its stack and does not exit', () => {
    const { lines, exits } = install();
    process.emit('unhandledRejection', new Error('nobody caught me'), Promise.resolve());
    expect(exits).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'unhandled promise rejection (a bug: please report it); the gateway keeps serving',
      err: { message: 'nobody caught me' },
    });
    expect(String((lines[0]!.err as { stack: string }).stack)).toContain('last-resort.test.ts');
  });

  it('logs an uncaught exception at fatal level and exits 70', () => {
    const { lines, exits } = install();
    const emit = process.emit.bind(process) as (event: string, ...args: unknown[]) => boolean;
    emit('uncaughtException', new Error('state may be broken'), 'uncaughtException');
    expect(exits).toEqual([70]);
    expect(lines[0]).toMatchObject({ level: 60, err: { message: 'state may be broken' } });
  });

  it('removes both handlers', () => {
    const before = [process.listenerCount('unhandledRejection'), process.listenerCount('uncaughtException')];
    const remove = installLastResort(pino({ enabled: false }), () => {});
    expect(process.listenerCount('unhandledRejection')).toBe(before[0]! + 1);
    remove();
    expect([process.listenerCount('unhandledRejection'), process.listenerCount('uncaughtException')]).toEqual(
      before,
    );
  });
});
