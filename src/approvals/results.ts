// The tool results an approval ends in. Like the gateway's other refusals they are normal tool
// results with isError, so the agent reads what happened and what to do next.

function text(t: string, meta?: Record<string, unknown>): Record<string, unknown> {
  return { content: [{ type: 'text', text: t }], isError: true, ...(meta ? { _meta: meta } : {}) };
}

/** Retry mode: nothing was forwarded; call again with the same arguments once a person approved. */
export function approvalRequiredResult(
  id: string,
  reason: string,
  expiresAt: number,
): Record<string, unknown> {
  const left = Math.max(1, Math.round((expiresAt - Date.now()) / 1000));
  return text(
    `[APPROVAL REQUIRED] id=${id} ${reason}. Nothing was done. Once a person approves it, make exactly ` +
      `the same call again (same arguments) within ${left}s; it works once.`,
    { approvalId: id, expiresAt },
  );
}

export function approvalDeniedResult(
  approver: string | undefined,
  note: string | undefined,
): Record<string, unknown> {
  const by = approver ?? 'a person';
  return text(`[APPROVAL DENIED] by ${by}: ${note?.trim() ? note : 'no reason given'}`);
}

export function approvalExpiredResult(id: string, why: string): Record<string, unknown> {
  return text(`[APPROVAL EXPIRED] id=${id} ${why}; nothing was done. Call again to ask again.`);
}

/** The approval could not be asked for at all (store down): the call fails closed. */
export function approvalUnavailableResult(detail: string): Record<string, unknown> {
  return text(
    `[POLICY DENIED] this call needs a person's approval but the gateway cannot record the request right now (${detail}); it fails closed. Retry shortly.`,
  );
}
