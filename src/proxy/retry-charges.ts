import { createHash } from 'node:crypto';
import type { JsonRpcRequest, JsonRpcResponse } from '../mcp/jsonrpc.js';

const TTL_MS = 10 * 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Eras (issue 9): which `input_required` retries were already charged.
 *
 * Rule: a 2026 client retries an `input_required` tools/call as a new tools/call (same name and
 * arguments, plus `inputResponses` and the server's opaque `requestState`). The gate decides the
 * retry again (policy may have changed; a denied call stays denied; audit records it), but its
 * limits were consumed by the attempt that got `input_required`, so the retry is not charged
 * again. The gateway's own record decides, never the client's say-so: when a forwarded call comes
 * back `input_required`, one marker is stored, keyed by session, server, tool, arguments and
 * `requestState` (or "none" when the server sent no state), and the first retry that matches takes
 * it. A retry with no marker (forged or expired state, other arguments) is charged like any call.
 */
export class RetryCharges {
  private readonly marks = new Map<string, number>();

  /** After a forwarded tools/call answered: remember an `input_required` answer's pending charge. */
  noteAnswer(scope: string, server: string, params: JsonRpcRequest['params'], res: JsonRpcResponse): void {
    if (!('result' in res) || res.result.resultType !== 'input_required') return;
    if (this.marks.size >= MAX_ENTRIES) this.sweep();
    this.marks.set(keyOf(scope, server, params, res.result.requestState), Date.now() + TTL_MS);
  }

  /** Whether this tools/call is the retry of one already charged (and consume that marker). */
  takeRetry(scope: string, server: string, params: JsonRpcRequest['params']): boolean {
    if (params?.inputResponses === undefined && params?.requestState === undefined) return false;
    const key = keyOf(scope, server, params, params?.requestState);
    const until = this.marks.get(key);
    this.marks.delete(key);
    return until !== undefined && until > Date.now();
  }

  /** Drop expired markers; when still full, the oldest (a lost marker only means a second charge). */
  private sweep(): void {
    const now = Date.now();
    for (const [k, until] of this.marks) if (until <= now) this.marks.delete(k);
    for (const k of this.marks.keys()) {
      if (this.marks.size < MAX_ENTRIES) break;
      this.marks.delete(k);
    }
  }
}

function keyOf(scope: string, server: string, params: JsonRpcRequest['params'], state: unknown): string {
  const args = JSON.stringify(params?.arguments ?? {});
  const h = createHash('sha256');
  h.update([scope, server, String(params?.name), args, typeof state === 'string' ? state : ''].join('\n'));
  return h.digest('base64url');
}
