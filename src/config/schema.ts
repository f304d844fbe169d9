import { z } from 'zod';
import { patternProblem } from '../redact/index.js';
import { regexHazard } from '../util/regex-safety.js';
import { DEFAULT_AGGREGATE_SEPARATOR } from './server-names.js';

// The toolgate.yaml schema. Everything a user can write is here, strict: an unknown key is an
// error (with its line), because a typo in a security config must never be silently ignored.

const duration = z
  .union([
    z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration like "500ms", "30s", "10m", "1h"'),
    z.number(),
  ])
  .transform((v) => (typeof v === 'number' ? v * 1000 : parseDurationMs(v)));

export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return n * unit;
}

/**
 * A pattern of `audit.redact.patterns`, checked at load like a policy's regex condition: it must
 * compile, must not match the empty string, and must not be able to backtrack catastrophically (it
 * runs over every string the gateway audits, logs and shows).
 */
const redactRegex = z.string().superRefine((source, ctx) => {
  const problem = patternProblem(source) ?? regexHazard(source);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const redactPattern = z.union([
  redactRegex,
  z
    .object({
      regex: z.string(),
      flags: z
        .string()
        .regex(/^[imsu]*$/, 'flags: i, m, s, u')
        .optional(),
    })
    .strict()
    .superRefine((p, ctx) => {
      const problem = patternProblem(p) ?? regexHazard(p.regex, p.flags);
      if (problem) ctx.addIssue({ code: 'custom', path: ['regex'], message: problem });
    }),
]);

/**
 * `audit.redact`: more secret member names, value patterns and argument paths for the redactor
 * (src/redact). The older form, a list of dotted argument paths, still reads as `{paths: [...]}`.
 */
const redactSchema = z
  .union([
    z.array(z.string()).transform((paths) => ({ keys: [] as string[], patterns: [] as string[], paths })),
    z
      .object({
        keys: z.array(z.string().min(1)).default([]),
        patterns: z.array(redactPattern).default([]),
        paths: z.array(z.string()).default([]),
      })
      .strict(),
  ])
  .default({ keys: [], patterns: [], paths: [] });

/**
 * What the gateway does with a tool whose listed definition differs from its accepted pin (a
 * "rug pull"): `pinned` lists the accepted definition, `hide` leaves the tool out of tools/list and
 * answers calls as unknown, `deny_call` lists the new definition. In every mode calls are kept from
 * the upstream until someone accepts the change (a `mode: shadow` policy forwards them and records
 * the denial, except under `hide`).
 */
export const PIN_CHANGE_MODES = ['pinned', 'hide', 'deny_call'] as const;
export type PinChangeMode = (typeof PIN_CHANGE_MODES)[number];

const policyRef = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

const serverBase = {
  policy: policyRef.optional(),
  /** One upstream connection multiplexed across client sessions (request ids remapped). */
  shared: z.boolean().default(false),
  /** What to do when the gateway cannot decide (counter store down). */
  on_backend_error: z.enum(['deny', 'allow']).default('deny'),
  /** Per-request timeout towards the upstream. */
  timeout: duration.default(60_000),
  description: z.string().optional(),
  /**
   * Eras (docs/eras.md): a server that speaks only 2025 is offered to clients as it is (a 2026
   * client's `server/discover` is refused, so it falls back to `initialize`, as it would directly).
   * `true` makes toolgate offer 2026-07-28 for it too and translate: for clients that speak only 2026.
   */
  offer_2026: z.boolean().optional(),
  /**
   * Methods outside the MCP method set that this server may receive unchanged (experimental
   * extensions). Matched exactly; anything else unknown is answered by the gateway (-32601).
   */
  passthrough_methods: z
    .array(
      z
        .string()
        .min(1)
        .refine((m) => !['tools/call', 'tools/list'].includes(m), {
          message: 'tools/call and tools/list are always decided by the gateway; they cannot pass through',
        }),
    )
    .default([]),
};

const stdioServer = z
  .object({
    ...serverBase,
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
  })
  .strict();

const httpServer = z
  .object({
    ...serverBase,
    url: z.string().url(),
    headers: z.record(z.string(), z.string()).default({}),
    /** `streamable-http` (default) or the 2024-11-05 `sse` transport. */
    transport: z.enum(['streamable-http', 'sse']).default('streamable-http'),
  })
  .strict();

export const serverSchema = z.union([stdioServer, httpServer], {
  error: () => 'a server needs either `command` (stdio) or `url` (HTTP), not both',
});

const grantSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, underscore and dash only'),
    servers: z.array(z.string()).min(1),
    token_env: z.string().optional(),
    token_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, '64 lowercase hex characters (sha256 of the token)')
      .optional(),
    policy: policyRef.optional(),
    /** Most sessions this grant may hold at once (default `sessions.max_per_grant`). */
    max_sessions: z.number().int().positive().optional(),
  })
  .strict()
  .refine((g) => Boolean(g.token_env) !== Boolean(g.token_sha256), {
    message: 'a grant needs exactly one of `token_env` or `token_sha256`',
  });

export const configSchema = z
  .object({
    listen: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8787),
        /** Extra Host header values accepted (DNS-rebinding protection). */
        allowed_hosts: z.array(z.string()).default([]),
        /** Extra Origin values accepted from browsers. */
        allowed_origins: z.array(z.string()).default([]),
        max_body: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024),
      })
      .strict()
      .default({
        host: '127.0.0.1',
        port: 8787,
        allowed_hosts: [],
        allowed_origins: [],
        max_body: 4 * 1024 * 1024,
      }),
    storage: z
      .union([
        z.object({ sqlite: z.string() }).strict(),
        z.object({ postgres: z.string(), schema: z.string().optional() }).strict(),
      ])
      .default({ sqlite: './toolgate.db' }),
    counters: z
      .union([
        z.object({ backend: z.literal('memory') }).strict(),
        z.object({ backend: z.literal('sqlite'), path: z.string().optional() }).strict(),
        z.object({ backend: z.literal('redis'), url: z.string(), prefix: z.string().optional() }).strict(),
      ])
      .default({ backend: 'sqlite' }),
    admin: z
      .object({ token_env: z.string().optional(), token_sha256: z.string().optional() })
      .strict()
      .default({}),
    auth: z
      .object({ mode: z.enum(['tokens', 'none']).default('tokens') })
      .strict()
      .default({ mode: 'tokens' }),
    aggregate: z
      .object({ separator: z.string().min(1).max(8).default(DEFAULT_AGGREGATE_SEPARATOR) })
      .strict()
      .default({ separator: DEFAULT_AGGREGATE_SEPARATOR }),
    sessions: z
      .object({
        idle_timeout: duration.default(600_000),
        /**
         * A session that sent no request after `initialize` (a client that connected and went
         * quiet, or never closes) is closed after this long idle instead of `idle_timeout`.
         */
        idle_timeout_unused: duration.default(60_000),
        /** Open sessions at most; default sized to the machine (src/gateway/session-sizing.ts). */
        max: z.number().int().positive().optional(),
        /** Sessions one grant may hold at once unless its `max_sessions` says otherwise; default max / 4. */
        max_per_grant: z.number().int().positive().optional(),
        /**
         * Per-session replay buffer of SSE events, for clients resuming a dropped stream
         * (GET + Last-Event-ID): at most this many events and bytes over all the session's streams.
         * Small by default (sessions.max of them may exist), enough for a reconnect's gap; 0 turns
         * event ids and resumption off.
         */
        replay_events: z.number().int().nonnegative().default(1000),
        replay_bytes: z
          .number()
          .int()
          .nonnegative()
          .default(1024 * 1024),
        /**
         * Most bytes an SSE connection may have unsent (a client that stops reading) before the
         * gateway drops it rather than buffer more (src/http/backpressure.ts); a session's stream
         * then resumes from the replay buffer.
         */
        max_unsent_bytes: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024),
      })
      .strict()
      .default({
        idle_timeout: 600_000,
        idle_timeout_unused: 60_000,
        replay_events: 1000,
        replay_bytes: 1024 * 1024,
        max_unsent_bytes: 8 * 1024 * 1024,
      }),
    audit: z
      .object({
        redact: redactSchema,
        retention: duration.optional(),
        /**
         * Write-ahead: a tools/call is forwarded only once the record of its decision is committed to
         * the store (group commit); its outcome follows as a second record. false: one record per
         * call, written in a batch after the upstream answered (a crash can lose the last batch).
         */
        write_ahead: z.boolean().default(true),
      })
      .strict()
      .default({ redact: { keys: [], patterns: [], paths: [] }, write_ahead: true }),
    log: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
    /** Upstream health (src/gateway/upstream-health.ts): /readyz and toolgate_upstream_up. */
    health: z
      .object({
        /** An up server without traffic for this long is probed again; "0s" turns the background check off. */
        probe_interval: duration.default(30_000),
        /**
         * The longest wait between attempts at a server that is down (it doubles from 2 s up to
         * this; src/upstream/restart-backoff.ts).
         */
        retry_max: duration
          .refine((ms) => ms >= 1_000 && ms <= 86_400_000, 'between 1s and 24h')
          .default(300_000),
      })
      .strict()
      .default({ probe_interval: 30_000, retry_max: 300_000 }),
    /** OpenTelemetry traces of each tools/call (src/telemetry); off unless otlp_endpoint is set. */
    telemetry: z
      .object({
        /** OTLP/HTTP (JSON) traces URL, e.g. http://127.0.0.1:4318/v1/traces. */
        otlp_endpoint: z
          .string()
          .url()
          .regex(/^https?:\/\//, 'an http:// or https:// URL')
          .optional(),
        service_name: z.string().min(1).default('toolgate'),
        /** Sent with every export (a collector's API key, say). */
        headers: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .optional(),
    /** Tool pinning (docs/catalog.md, "Pinning in the gateway"). */
    pins: z
      .object({
        /** The model must never read unreviewed text, so the default lists the accepted definition. */
        on_change: z.enum(PIN_CHANGE_MODES).default('pinned'),
      })
      .strict()
      .default({ on_change: 'pinned' }),
    /** Approvals (src/approvals): who is told when a call waits for a person. */
    approvals: z
      .object({
        webhooks: z
          .array(
            z
              .object({
                url: z
                  .string()
                  .url()
                  .regex(/^https?:\/\//, 'an http:// or https:// URL'),
                /** Environment variable holding the HMAC secret for X-Toolgate-Signature. */
                secret_env: z.string().min(1).optional(),
                format: z.enum(['json', 'slack']).default('json'),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ webhooks: [] }),
    servers: z.record(
      z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, underscore and dash only'),
      serverSchema,
    ),
    grants: z.array(grantSchema).default([]),
    /** Grants from the user's identity provider: a JWT whose claims match a rule becomes that grant. */
    jwt: z
      .object({
        issuer: z.string().min(1),
        audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        jwks_url: z.string().url(),
        /** Clock skew allowed on exp/nbf. */
        clock_tolerance: duration.default(30_000),
        grants: z
          .array(
            z
              .object({
                name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, underscore and dash only'),
                servers: z.array(z.string()).min(1),
                policy: policyRef.optional(),
                /** Most sessions this grant may hold at once (default `sessions.max_per_grant`). */
                max_sessions: z.number().int().positive().optional(),
                /** Every listed claim must match: equal, or contained when the token's claim is a list; a list here means any of. */
                claims: z
                  .record(
                    z.string(),
                    z.union([
                      z.string(),
                      z.number(),
                      z.boolean(),
                      z.array(z.union([z.string(), z.number()])),
                    ]),
                  )
                  .default({}),
              })
              .strict(),
          )
          .min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
export type StdioServerConfig = z.output<typeof stdioServer>;
export type HttpServerConfig = z.output<typeof httpServer>;
export type GrantConfig = z.output<typeof grantSchema>;

export function isStdioServer(s: ServerConfig): s is StdioServerConfig {
  return 'command' in s;
}
