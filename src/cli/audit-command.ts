import type { AuditRecord } from '../audit/types.js';
import { type UnfinishedCall, verifyAudit } from '../audit/verify.js';
import type { Store } from '../store/index.js';
import { UsageError } from './args.js';
import { durationMs, parseFlags, runSubcommand } from './subcommands.js';
import { AUDIT_USAGE } from './usage.js';

export interface AuditCommandContext {
  store: Store;
  stdout(s: string): void;
  stderr(s: string): void;
  /** Ends `audit tail -f`; when absent, SIGINT/SIGTERM do. */
  signal?: AbortSignal;
  /** How often `tail -f` polls the store; default 500 ms. */
  pollMs?: number;
  now?(): number;
}

/** `toolgate audit ...`. argv is what follows `audit`. Exit codes: 0 ok, 1 act on it, 2 usage. */
export function runAuditCommand(argv: string[], ctx: AuditCommandContext): Promise<number> {
  return runSubcommand('audit', AUDIT_USAGE, { tail, verify, export: exportJsonl }, argv, ctx);
}

async function tail(argv: string[], ctx: AuditCommandContext): Promise<number> {
  const { values } = parseFlags(argv, {
    n: { type: 'string', short: 'n', default: '20' },
    follow: { type: 'boolean', short: 'f' },
    json: { type: 'boolean' },
  });
  const n = Number(values.n);
  if (!Number.isInteger(n) || n < 0 || n > 10_000)
    throw new UsageError('-n must be a whole number from 0 to 10000');
  const print = (r: AuditRecord) => ctx.stdout(values.json ? `${JSON.stringify(r)}\n` : `${line(r)}\n`);
  const last = n === 0 ? [] : (await ctx.store.audit.query({ order: 'desc', limit: n })).reverse();
  last.forEach(print);
  if (!values.follow) return 0;

  let after = last.at(-1)?.seq ?? (await ctx.store.audit.head())?.seq ?? 0;
  const stop = ctx.signal ?? interruptSignal();
  while (!stop.aborted) {
    const fresh = await ctx.store.audit.query({ afterSeq: after, limit: 1000 });
    fresh.forEach(print);
    after = fresh.at(-1)?.seq ?? after;
    if (fresh.length < 1000) await sleep(ctx.pollMs ?? 500, stop);
  }
  return 0;
}

async function verify(argv: string[], ctx: AuditCommandContext): Promise<number> {
  const { values } = parseFlags(argv, { json: { type: 'boolean' } });
  const result = await verifyAudit(ctx.store);
  if (values.json) {
    ctx.stdout(`${JSON.stringify(result)}\n`);
    return result.ok ? 0 : 1;
  }
  const pruned = result.checkpoint
    ? ` The log starts at record ${result.checkpoint.seq}: ${result.checkpoint.prunedCount} older records were pruned.`
    : '';
  const unfinished = unfinishedText(result.unfinished);
  if (result.ok) {
    const chain = result.unfinished.length > 0 ? 'Audit chain intact' : 'Audit log intact';
    ctx.stdout(
      result.head
        ? `${chain}: ${result.records} records, chain verified up to record ${result.head.seq} (hash ${result.head.hash}).${pruned}\n${unfinished}`
        : `Audit log is empty; nothing to verify.${pruned}\n`,
    );
    return 0;
  }
  for (const p of result.problems) ctx.stdout(`record ${p.seq}: ${p.kind}: ${p.message}\n`);
  ctx.stdout(unfinished);
  ctx.stdout(
    `Audit log FAILED verification: ${result.problems.length} problem(s) in ${result.records} records.${pruned}\n` +
      'Someone changed the stored log. Keep a copy of the database as evidence (toolgate audit export) before changing anything.\n',
  );
  return 1;
}

/** How many calls without an outcome `verify` names one by one (all of them are in --json). */
const UNFINISHED_SHOWN = 50;

/**
 * Write-ahead records without an outcome record are not tampering: the call was forwarded (or about
 * to be) and its end was never written. The operator must find out from the server whether it ran.
 */
function unfinishedText(calls: readonly UnfinishedCall[]): string {
  if (calls.length === 0) return '';
  const n = calls.length;
  const lines = calls
    .slice(0, UNFINISHED_SHOWN)
    .map(
      (c) =>
        `  record ${c.seq}  call ${c.call}  ${new Date(c.ts).toISOString()}  grant=${c.grant}  ${c.server}/${c.tool ?? '?'}\n`,
    );
  const more = n > UNFINISHED_SHOWN ? `  ... and ${n - UNFINISHED_SHOWN} more (--json lists them all)\n` : '';
  return (
    `${n} call${n === 1 ? ' has' : 's have'} no recorded outcome (still in flight, or the gateway stopped before the server answered or before it wrote the outcome): ` +
    `the server may or may not have run ${n === 1 ? 'it' : 'them'}; check there before retrying. ids:\n${lines.join('')}${more}`
  );
}

async function exportJsonl(argv: string[], ctx: AuditCommandContext): Promise<number> {
  const { values } = parseFlags(argv, {
    since: { type: 'string' },
    format: { type: 'string', default: 'jsonl' },
  });
  if (values.format !== 'jsonl')
    throw new UsageError(`--format ${values.format} is not supported; use --format jsonl`);
  const since =
    values.since === undefined ? undefined : parseSince(String(values.since), ctx.now?.() ?? Date.now());
  for await (const r of ctx.store.audit.iterate({ since })) ctx.stdout(`${JSON.stringify(r)}\n`);
  return 0;
}

/** One human line per record: time, seq, decision, who, what, why. */
function line(r: AuditRecord): string {
  const what = r.tool ? `${r.server}/${r.tool}` : `${r.server} ${r.method}`;
  const why = [r.rule, r.reason].filter(Boolean).join(': ');
  const extra = [
    r.approver ? `approver=${r.approver}` : '',
    r.note ? `note=${r.note}` : '',
    r.call ? `call=${r.call}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return [
    new Date(r.ts).toISOString(),
    `#${r.seq}`,
    r.decision.padEnd(18),
    `grant=${r.grant}`,
    what,
    why,
    `${Math.round(r.latencyMs * 10) / 10}ms`,
    `upstream=${r.upstream}`,
    extra,
  ]
    .filter(Boolean)
    .join('  ');
}

/** `--since` takes an ISO time (2025-01-31, 2025-01-31T12:00Z) or a duration back from now (24h, 7d). */
function parseSince(text: string, now: number): number {
  const back = durationMs(text);
  if (back !== undefined) return now - back;
  const t = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(t))
    throw new UsageError(
      `--since "${text}" must be an ISO time (2025-01-31T12:00:00Z) or a duration (24h, 7d)`,
    );
  return t;
}

function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  ac.signal.addEventListener('abort', () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
  return ac.signal;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
