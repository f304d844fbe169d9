import { classifyTool, type ToolDefinition } from '../../catalog/index.js';
import { isStdioServer } from '../../config/index.js';
import { canonicalPolicy, decide, decisionJson, PolicyError, parsePolicy } from '../../policy/index.js';
import type { AdminDeps } from './deps.js';
import { fileStateJson } from './policy-state.js';
import { ApiError, type Router } from './router.js';

function policyIssues(err: unknown) {
  if (err instanceof PolicyError) {
    return err.issues.map((i) => ({ line: i.line, column: i.column, path: i.path, message: i.message }));
  }
  return [{ line: 0, column: 0, path: '', message: (err as Error).message }];
}

function serverOr404(deps: AdminDeps, name: string) {
  const cfg = deps.config().servers[name];
  if (!cfg) throw new ApiError(404, 'unknown_server', `no server named "${name}"`);
  return cfg;
}

export function serverRoutes(router: Router, deps: AdminDeps): void {
  router.on('GET', '/api/servers', () =>
    Object.entries(deps.config().servers).map(([name, cfg]) => {
      const st = deps.states.get(name) ?? { status: 'starting' };
      const src = deps.policies.sourceOf(name);
      return {
        name,
        transport: isStdioServer(cfg) ? 'stdio' : cfg.transport === 'sse' ? 'sse' : 'http',
        status: st.status,
        reason: st.reason,
        // While down: the backoff (upstream-health.ts) and the server's last stderr lines.
        failures: st.failures,
        retryAt: st.retryAt === undefined ? undefined : new Date(st.retryAt).toISOString(),
        stderr: st.stderr,
        tools: st.tools,
        serverInfo: st.serverInfo,
        protocolVersion: st.protocolVersion,
        policy: { source: src.file ?? (src.inline ? 'inline' : 'none'), mode: src.policy.mode },
      };
    }),
  );

  // The operator fixed what kept a server from starting: try it now rather than at its next attempt.
  router.on('POST', '/api/servers/:name/retry', async ({ params }) => {
    const name = params.name!;
    serverOr404(deps, name);
    const before = deps.states.get(name)?.status;
    if (before === 'down') await deps.retryServer?.(name);
    const st = deps.states.get(name) ?? { status: 'starting' as const };
    return {
      name,
      retried: before === 'down',
      status: st.status,
      reason: st.reason,
      failures: st.failures,
      retryAt: st.retryAt === undefined ? undefined : new Date(st.retryAt).toISOString(),
      stderr: st.stderr,
    };
  });

  router.on('GET', '/api/servers/:name/tools', ({ params, query }) => {
    serverOr404(deps, params.name!);
    const grant = query.get('grant') ?? 'local';
    const policy = deps.policies.for(grant, params.name!);
    const tools = deps.states.get(params.name!)?.toolList ?? [];
    return tools.map((t) => {
      const def = t as unknown as ToolDefinition;
      const c = classifyTool(def);
      const d = decide(policy, {
        server: params.name!,
        tool: def.name,
        args: {},
        grant: { name: grant },
        session: { id: 'admin' },
      });
      return {
        name: def.name,
        title: def.title,
        description: def.description,
        inputSchema: def.inputSchema,
        annotations: def.annotations,
        classification: {
          category: c.category,
          risk: c.risk,
          reasons: c.reasons,
          findings: c.findings,
          recommended: c.recommended,
        },
        decision: { outcome: d.outcome, rule: d.rule, reason: d.reason },
      };
    });
  });

  router.on('GET', '/api/policies/:server', ({ params }) => {
    serverOr404(deps, params.server!);
    const src = deps.policies.sourceOf(params.server!);
    // The text is the ENFORCED version (a file's last good one), never what is on disk now: with a
    // broken or missing file the two differ, and `file` says how.
    const text = src.file ? (src.text ?? '') : src.inline ? JSON.stringify(src.inline, null, 2) : '';
    return {
      server: params.server,
      source: src.file ?? (src.inline ? 'inline' : 'none'),
      format: src.file && /\.ya?ml$/i.test(src.file) ? 'yaml' : 'json',
      text,
      canonical: canonicalPolicy(src.policy),
      writable: Boolean(src.file),
      file: src.status ? fileStateJson(src.status) : null,
    };
  });

  router.on('POST', '/api/policies/validate', async ({ body }) => {
    const b = (await body()) as { text?: unknown; format?: unknown };
    if (typeof b.text !== 'string')
      throw new ApiError(400, 'bad_request', 'send {"text": "...", "format": "json"|"yaml"}');
    try {
      parsePolicy(b.text, { file: 'policy', format: b.format === 'yaml' ? 'yaml' : 'json' });
      return { ok: true, issues: [] };
    } catch (err) {
      return { ok: false, issues: policyIssues(err) };
    }
  });

  router.on('PUT', '/api/policies/:server', async ({ params, body }) => {
    serverOr404(deps, params.server!);
    const b = (await body()) as { text?: unknown };
    if (typeof b.text !== 'string')
      throw new ApiError(400, 'bad_request', 'send {"text": "...", "format": "json"|"yaml"}');
    let saved: boolean;
    try {
      saved = deps.policies.save(params.server!, b.text);
    } catch (err) {
      throw new ApiError(400, 'invalid_policy', 'the policy is invalid; nothing was saved', {
        ok: false,
        issues: policyIssues(err),
      });
    }
    if (!saved) {
      throw new ApiError(
        409,
        'not_writable',
        `server "${params.server}" has no policy file (inline or none): edit toolgate.yaml`,
      );
    }
    deps.log.info({ server: params.server }, 'policy saved through the admin API');
    return { ok: true };
  });

  router.on('POST', '/api/policies/:server/explain', async ({ params, body }) => {
    serverOr404(deps, params.server!);
    const b = (await body()) as { tool?: unknown; args?: unknown; grant?: unknown };
    if (typeof b.tool !== 'string')
      throw new ApiError(400, 'bad_request', 'send {"tool": "...", "args": {...}}');
    const grant = typeof b.grant === 'string' ? b.grant : 'local';
    const args = (b.args && typeof b.args === 'object' ? b.args : {}) as Record<string, unknown>;
    const d = decide(deps.policies.for(grant, params.server!), {
      server: params.server!,
      tool: b.tool,
      args,
      grant: { name: grant },
      session: { id: 'admin' },
    });
    return decisionJson(d);
  });
}
