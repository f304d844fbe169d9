import type { PolicyFileError, PolicyRefStatus } from '../../policy/file-status.js';

/** A policy file's state for the API: in sync, invalid on disk (with the error) or missing. */
export function fileStateJson(st: {
  state: string;
  error?: PolicyFileError;
  lastError?: PolicyFileError;
  checkedAt?: number;
}) {
  const err = (e: PolicyFileError | undefined) =>
    e
      ? {
          message: e.message,
          issues: e.issues.map(({ line, column, path, message }) => ({ line, column, path, message })),
          at: new Date(e.at).toISOString(),
        }
      : null;
  return {
    state: st.state,
    error: err(st.error),
    lastError: err(st.lastError),
    ...(st.checkedAt ? { checkedAt: new Date(st.checkedAt).toISOString() } : {}),
  };
}

/** A grant's policy reference for the API: its file state, and whether any version is enforced. */
export function policyStateJson(st: PolicyRefStatus) {
  return { kind: st.kind, enforced: st.enforced, ...fileStateJson(st) };
}
