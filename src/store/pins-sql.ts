// PinStore for both dialects. The SQL is shared (`ph(n)` renders the n-th placeholder); only how a
// statement runs differs: better-sqlite3 is synchronous, pg is a pool of async connections.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { PoolClient } from 'pg';
import type { PinStore, ToolPin } from './pin-types.js';

type Row = Record<string, unknown>;

/** A row is current when no row of the same tool was accepted later (ties broken by id). */
const CURRENT = `NOT EXISTS (SELECT 1 FROM tool_pins q WHERE q.server = p.server AND q.tool = p.tool
  AND (q.accepted_at > p.accepted_at OR (q.accepted_at = p.accepted_at AND q.id > p.id)))`;

function getSql(ph: (n: number) => string): string {
  return `SELECT * FROM tool_pins p WHERE p.server = ${ph(1)} AND p.tool = ${ph(2)}
    ORDER BY p.accepted_at DESC, p.id DESC LIMIT 1`;
}

function listSql(ph: (n: number) => string, server: boolean): string {
  return `SELECT * FROM tool_pins p WHERE ${CURRENT}${server ? ` AND p.server = ${ph(1)}` : ''}
    ORDER BY p.server, p.tool`;
}

function upsertSql(ph: (n: number) => string): string {
  return `INSERT INTO tool_pins (id, server, tool, hash, definition, accepted_at)
    VALUES (${ph(1)}, ${ph(2)}, ${ph(3)}, ${ph(4)}, ${ph(5)}, ${ph(6)})
    ON CONFLICT (server, tool, hash) DO UPDATE SET accepted_at = excluded.accepted_at`;
}

function rowToPin(r: Row): ToolPin {
  return {
    server: String(r.server),
    tool: String(r.tool),
    hash: String(r.hash),
    definition: JSON.parse(String(r.definition)) as Record<string, unknown>,
    acceptedAt: Number(r.accepted_at),
  };
}

/**
 * What `accept` does once it holds the tool's current pin: keeps it when it already has `hash`;
 * otherwise returns the new pin with the row to upsert (`upsertSql`'s values). The new pin is
 * stamped now, but never at or before the pin it replaces.
 */
function nextPin(
  current: ToolPin | undefined,
  server: string,
  tool: string,
  hash: string,
  definition: Record<string, unknown>,
  nowMs: number,
): { pin: ToolPin; row?: unknown[] } {
  if (current?.hash === hash) return { pin: current };
  const at = current ? Math.max(nowMs, current.acceptedAt + 1) : nowMs;
  return {
    pin: { server, tool, hash, definition, acceptedAt: at },
    row: [randomUUID(), server, tool, hash, JSON.stringify(definition), at],
  };
}

type Runner = <T>(fn: () => T) => Promise<T>;
const q = () => '?';

export class SqlitePins implements PinStore {
  constructor(
    private readonly db: Database.Database,
    private readonly run: Runner,
  ) {}

  get(server: string, tool: string): Promise<ToolPin | undefined> {
    return this.run(() => this.current(server, tool));
  }

  private current(server: string, tool: string): ToolPin | undefined {
    const row = this.db.prepare(getSql(q)).get(server, tool) as Row | undefined;
    return row ? rowToPin(row) : undefined;
  }

  accept(
    server: string,
    tool: string,
    hash: string,
    definition: Record<string, unknown>,
    nowMs: number,
  ): Promise<ToolPin> {
    return this.run(() =>
      // IMMEDIATE: read the current pin and write the next one under the write lock.
      this.db
        .transaction(() => {
          const next = nextPin(this.current(server, tool), server, tool, hash, definition, nowMs);
          if (next.row) this.db.prepare(upsertSql(q)).run(...next.row);
          return next.pin;
        })
        .immediate(),
    );
  }

  list(server?: string): Promise<ToolPin[]> {
    return this.run(() => {
      const stmt = this.db.prepare(listSql(q, server !== undefined));
      return ((server === undefined ? stmt.all() : stmt.all(server)) as Row[]).map(rowToPin);
    });
  }
}

/** What PostgresPins needs of the PostgreSQL store (error mapping and pooling stay there). */
export interface PgRunner {
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T>;
}

const dollar = (n: number) => `$${n}`;
/** Serialises accepts of one tool across replicas (the read-then-write in accept). */
const PIN_LOCK = `SELECT pg_advisory_xact_lock(hashtext('toolgate.pin:' || $1 || '/' || $2))`;

export class PostgresPins implements PinStore {
  constructor(private readonly s: PgRunner) {}

  async get(server: string, tool: string): Promise<ToolPin | undefined> {
    const [row] = await this.s.query(getSql(dollar), [server, tool]);
    return row ? rowToPin(row) : undefined;
  }

  accept(
    server: string,
    tool: string,
    hash: string,
    definition: Record<string, unknown>,
    nowMs: number,
  ): Promise<ToolPin> {
    return this.s.tx(async (c) => {
      await c.query(PIN_LOCK, [server, tool]);
      const row = (await c.query(getSql(dollar), [server, tool])).rows[0] as Row | undefined;
      const next = nextPin(row ? rowToPin(row) : undefined, server, tool, hash, definition, nowMs);
      if (next.row) await c.query(upsertSql(dollar), next.row);
      return next.pin;
    });
  }

  async list(server?: string): Promise<ToolPin[]> {
    const rows = await this.s.query(
      listSql(dollar, server !== undefined),
      server === undefined ? [] : [server],
    );
    return rows.map(rowToPin);
  }
}
