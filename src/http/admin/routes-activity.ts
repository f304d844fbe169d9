import type { AuditDecision, AuditQuery } from '../../audit/types.js';
import { canonicalPolicy, parseDuration } from '../../policy/index.js';
import type { AdminDeps } from './deps.js';
import { ApiError, type Router } from './router.js';

function num(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ApiError(400, 'bad_request', `not a number: ${v}`);
  return n;
}

const SCOPE_SUBJECT: Record<string, string> = {
  grant: 'grant',
  session: 'session',
  server: 'server',
  global: 'global',
};

export function activityRoutes(router: Router, deps: AdminDeps): void {
  router.on('GET', '/api/audit', async ({ query }) => {
    const filter: AuditQuery = {
      grant: query.get('grant') || undefined,
      server: query.get('server') || undefined,
      tool: query.get('tool') || undefined,
      decision: (query.get('decision') || undefined) as AuditDecision | undefined,
      since: num(query.get('since')),
      until: num(query.get('until')),
      limit: Math.min(num(query.get('limit')) ?? 100, 1000),
      order: 'desc',
    };
    return { records: await deps.store.audit.query(filter) };
  });

  router.on('GET', '/api/stats', async ({ query }) => {
    const bucket = Math.max(1, num(query.get('bucket')) ?? 60) * 1000;
    const since = num(query.get('since')) ?? Date.now() - 3_600_000;
    const records = await deps.store.audit.query({ since, limit: 10_000, order: 'asc' });
    const buckets = new Map<
      number,
      { t: number; allow: number; deny: number; rate_limited: number; hide: number; other: number }
    >();
    for (const r of records) {
      // An outcome record ends a call whose decision (its write-ahead record) is already counted.
      if (r.decision === 'outcome') continue;
      const t = Math.floor(r.ts / bucket) * bucket;
      let b = buckets.get(t);
      if (!b) {
        b = { t, allow: 0, deny: 0, rate_limited: 0, hide: 0, other: 0 };
        buckets.set(t, b);
      }
      const k =
        r.decision === 'allow' ||
        r.decision === 'deny' ||
        r.decision === 'rate_limited' ||
        r.decision === 'hide'
          ? r.decision
          : 'other';
      b[k]++;
    }
    return { bucketSeconds: bucket / 1000, buckets: [...buckets.values()] };
  });

  router.on('GET', '/api/usage', async () => {
    const config = deps.config();
    const grants = [
      'local',
      ...config.grants.map((g) => g.name),
      ...(await deps.store.grants.list()).map((g) => g.name),
    ];
    const rows: {
      server: string;
      counter: string;
      scope: string;
      subject: string;
      window: string;
      windowSeconds: number;
      max: number;
      key: string;
    }[] = [];
    for (const server of Object.keys(config.servers)) {
      const doc = canonicalPolicy(deps.policies.sourceOf(server).policy) as {
        tools?: Record<
          string,
          { limits?: { counter: string; window: string | number; max: number; scope?: string }[] }
        >;
        all_tools?: { limits?: { counter: string; window: string | number; max: number; scope?: string }[] };
      };
      const limits = [
        ...(doc.all_tools?.limits ?? []),
        ...Object.values(doc.tools ?? {}).flatMap((t) => t.limits ?? []),
      ];
      const seen = new Set<string>();
      for (const l of limits) {
        const scope = SCOPE_SUBJECT[l.scope ?? 'grant'] ?? 'grant';
        if (scope === 'session') continue; // one per client session: too many to chart
        const windowSeconds = parseDuration(l.window) ?? 60;
        const subjects = scope === 'grant' ? grants : [scope === 'server' ? server : '*'];
        for (const subject of subjects) {
          const key =
            scope === 'grant'
              ? `grant:${subject}:${l.counter}`
              : scope === 'server'
                ? `server:${server}:${l.counter}`
                : `global:${l.counter}`;
          const id = `${key}:${windowSeconds}`;
          if (seen.has(id)) continue;
          seen.add(id);
          rows.push({
            server,
            counter: l.counter,
            scope,
            subject,
            window: String(l.window),
            windowSeconds,
            max: l.max,
            key,
          });
        }
      }
    }
    const used = await deps.counters.usage(
      rows.map((r) => ({ key: r.key, windowSeconds: r.windowSeconds, max: r.max, amount: 1 })),
      Date.now(),
    );
    return { counters: rows.map(({ key: _key, ...r }, i) => ({ ...r, used: used[i] ?? 0 })) };
  });

  router.on('GET', '/api/decisions/stream', ({ req, res, stillAuthorized }) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    // A logout or a token rotation ends the stream too: nothing more is written after either.
    const send = (text: string) => {
      if (res.writableEnded) return;
      if (stillAuthorized()) res.write(text);
      else res.end();
    };
    const stop = deps.audit.onRecord((record) =>
      send(`event: decision\ndata: ${JSON.stringify(record)}\n\n`),
    );
    const keepAlive = setInterval(() => send(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      stop();
      clearInterval(keepAlive);
    });
    return STREAMING;
  });
}

/** Returned by a handler that wrote its own streaming response. */
export const STREAMING = Symbol('streaming');
