// Protocol revisions the gateway speaks, on both sides. One list: the HTTP front end's version
// check, era translation and the admission step's method sets all read it.

/** The 2026-07-28 revision: stateless, every request carries its own `_meta` envelope. */
export const MODERN = '2026-07-28';
/** The newest 2025-era revision: what the gateway speaks to a 2025 upstream on a 2026 client's behalf. */
export const LEGACY = '2025-11-25';

/** The 2025-era revisions, oldest first: what `initialize` may negotiate. */
export const LEGACY_VERSIONS: readonly string[] = ['2024-11-05', '2025-03-26', '2025-06-18', LEGACY];

/** Every revision a client may name in `MCP-Protocol-Version` or `initialize`, oldest first. */
export const SUPPORTED_VERSIONS: ReadonlySet<string> = new Set([...LEGACY_VERSIONS, MODERN]);

/** The two protocol eras: 2025 (sessions, `initialize`) and 2026 (stateless, per-request envelope). */
export type Era = '2025' | '2026';

export function eraOfVersion(version: string): Era {
  return version >= MODERN ? '2026' : '2025';
}
