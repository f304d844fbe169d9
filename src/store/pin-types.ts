/**
 * Tool pins: the definition of each upstream tool a person (or trust on first use) accepted.
 * The table keeps history (one row per server, tool and hash); the current pin of a tool is the
 * row accepted last. Accepting a hash seen before makes it current again.
 */
export interface ToolPin {
  server: string;
  tool: string;
  /** pinHash() of the definition: sha256 hex of its canonical JSON. */
  hash: string;
  /** The pinned fields of the definition (what the hash covers), for diffs against later ones. */
  definition: Record<string, unknown>;
  acceptedAt: number;
}

export interface PinStore {
  /** The current accepted pin of one tool, if any. */
  get(server: string, tool: string): Promise<ToolPin | undefined>;
  /**
   * Make `hash` the current pin of the tool. Idempotent when it already is. The stored time is at
   * least one millisecond after the previous current pin's, so "current" never ties.
   */
  accept(
    server: string,
    tool: string,
    hash: string,
    definition: Record<string, unknown>,
    nowMs: number,
  ): Promise<ToolPin>;
  /** The current pin of every tool (of one server when given), by server then tool. */
  list(server?: string): Promise<ToolPin[]>;
}
