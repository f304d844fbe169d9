import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { approvalJson, decideApproval } from '../approvals/index.js';
import type { AuditInput } from '../audit/types.js';
import {
  APPROVAL_STATUSES,
  type ApprovalRecord,
  type ApprovalStatus,
  isStoreError,
  type Store,
} from '../store/index.js';
import { UsageError } from './args.js';
import { APPROVALS_USAGE } from './usage.js';

export interface ApprovalsCommandContext {
  store: Store;
  audit: { record(input: AuditInput): void };
  stdout(s: string): void;
  stderr(s: string): void;
  env: NodeJS.ProcessEnv;
  now(): number;
}

/** `toolgate approvals ...`: see and decide the calls waiting for a person. Exit 0 ok, 1 act on it, 2 usage. */
export async function runApprovalsCommand(argv: string[], ctx: ApprovalsCommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'list') return await list(rest, ctx);
    if (sub === 'approve' || sub === 'deny') return await decide(sub, rest, ctx);
    throw new UsageError(sub ? `unknown approvals command "${sub}"` : 'missing approvals command');
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      ctx.stderr(`error: ${(err as Error).message}\n${APPROVALS_USAGE}\n`);
      return 2;
    }
    if (isStoreError(err)) {
      ctx.stderr(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Who decided, for the audit log: the OS account running the CLI. */
export function cliApprover(env: NodeJS.ProcessEnv): string {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = env.USER ?? env.USERNAME;
  }
  return `cli:${name || 'unknown'}`;
}

async function list(argv: string[], ctx: ApprovalsCommandContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { status: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const status = values.status ?? 'pending';
  if (status !== 'all' && !APPROVAL_STATUSES.includes(status as ApprovalStatus)) {
    throw new UsageError(`--status must be one of ${APPROVAL_STATUSES.join(', ')} or all`);
  }
  const rows = await ctx.store.approvals.list({
    status: status === 'all' ? undefined : (status as ApprovalStatus),
    limit: 1000,
  });
  if (values.json) {
    ctx.stdout(`${JSON.stringify(rows.map(json))}\n`);
    return 0;
  }
  if (rows.length === 0) {
    ctx.stdout(status === 'pending' ? 'no approvals pending\n' : `no ${status} approvals\n`);
    return 0;
  }
  const now = ctx.now();
  for (const a of rows) {
    const state =
      a.status === 'pending'
        ? a.expiresAt > now
          ? `pending, ${Math.round((a.expiresAt - now) / 1000)}s left`
          : 'pending, past its deadline'
        : `${a.status}${a.approver ? ` by ${a.approver}` : ''}${a.note ? `: ${a.note}` : ''}`;
    ctx.stdout(
      `${a.id}  ${a.server}/${a.tool}  grant ${a.grant}  ${a.mode}  (${state})\n` +
        `    args ${JSON.stringify(a.args ?? {})}\n` +
        (a.reason ? `    why  ${a.reason}\n` : ''),
    );
  }
  return 0;
}

async function decide(
  action: 'approve' | 'deny',
  argv: string[],
  ctx: ApprovalsCommandContext,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { note: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError(`${action} takes exactly one approval ID`);
  const id = positionals[0]!;
  const approver = cliApprover(ctx.env);
  const out = await decideApproval(ctx.store, ctx.audit, id, {
    approved: action === 'approve',
    approver,
    note: values.note,
    now: ctx.now(),
  });
  if (!out.ok) {
    ctx.stderr(`error: ${out.message}\n`);
    return 1;
  }
  const a = out.approval;
  ctx.stdout(
    `${action === 'approve' ? 'approved' : 'denied'} ${a.id} (${a.server}/${a.tool}, grant ${a.grant}) as ${approver}\n` +
      (action === 'approve' && a.mode === 'retry'
        ? `the agent may now make that exact call once, until ${new Date(a.expiresAt).toISOString()}\n`
        : ''),
  );
  return 0;
}

function json(a: ApprovalRecord) {
  return {
    ...approvalJson(a),
    decidedAt: a.decidedAt ?? null,
    decidedBy: a.approver ?? null,
    note: a.note ?? null,
    consumedAt: a.consumedAt ?? null,
  };
}
