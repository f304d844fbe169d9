// The tool results the gateway answers with itself. They are normal tool results (isError), not
// protocol errors, so an agent reads the reason and can change course.

export function deniedResult(reason: string): Record<string, unknown> {
  return { content: [{ type: 'text', text: `[POLICY DENIED] ${reason}` }], isError: true };
}

export function rateLimitedResult(
  counter: string,
  max: number,
  window: string,
  retryAfterSeconds: number,
): Record<string, unknown> {
  const per = /^\d+$/.test(window) ? `${window}s` : window;
  return {
    content: [
      {
        type: 'text',
        text: `[RATE LIMITED] ${counter}: ${max} per ${per} reached; retry in ${retryAfterSeconds}s`,
      },
    ],
    isError: true,
    _meta: { retryAfterSeconds },
  };
}

export function backendDownResult(detail: string): Record<string, unknown> {
  return {
    content: [
      {
        type: 'text',
        text: `[POLICY DENIED] the gateway cannot check this call's limits right now (${detail}); it fails closed. Retry shortly.`,
      },
    ],
    isError: true,
  };
}

/**
 * The store could not take the record of this call, so it was not forwarded (audit write-ahead:
 * a call the gateway cannot record does not run). Nothing reached the server; retrying is safe.
 */
export function auditDownResult(detail: string): Record<string, unknown> {
  return {
    content: [
      {
        type: 'text',
        text: `[AUDIT UNAVAILABLE] the gateway did not forward this call because ${detail}; it fails closed and nothing reached the server. Retry once the audit store is back (GET /readyz).`,
      },
    ],
    isError: true,
  };
}
