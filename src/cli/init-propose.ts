// The catalogue's proposal for `toolgate init`: probe one discovered server and return the
// proposed policy YAML. Init falls back to its starter policy (with a warning) when this throws.
import pino from 'pino';
import { isMap, isScalar, parseDocument, stringify } from 'yaml';
import { type Proposal, proposePolicy, type ToolDefinition } from '../catalog/index.js';
import { interpolate } from '../config/interpolate.js';
import { type ServerConfig, serverSchema } from '../config/schema.js';
import { type ServerSpec, scan } from '../init/index.js';
import { probeServer } from '../upstream/probe.js';

/** How long init waits for one server (npx may download it the first time). */
const PROBE_TIMEOUT = '60s';

export function specToServer(spec: ServerSpec, env: NodeJS.ProcessEnv): ServerConfig {
  const missing: string[] = [];
  const sub = (v: string) => interpolate(v, env, (name) => missing.push(name));
  const subAll = (o: Record<string, string>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, sub(v)]));
  const raw =
    spec.kind === 'stdio'
      ? {
          command: sub(spec.command),
          args: spec.args.map(sub),
          env: subAll(spec.env),
          ...(spec.cwd ? { cwd: sub(spec.cwd) } : {}),
          timeout: PROBE_TIMEOUT,
        }
      : {
          url: sub(spec.url),
          headers: subAll(spec.headers),
          transport: spec.transport,
          timeout: PROBE_TIMEOUT,
        };
  if (missing.length) throw new Error(`needs ${[...new Set(missing)].join(', ')} set to connect`);
  return serverSchema.parse(raw);
}

/** `propose(server)` for runInit: the server is looked up by its toolgate name in a fresh scan. */
export function initProposer(opts: {
  home: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}): (server: string) => Promise<string> {
  let servers: ReturnType<typeof scan>['servers'] | undefined;
  return async (name) => {
    servers ??= scan({ home: opts.home, cwd: opts.cwd, platform: opts.platform }).servers;
    const found = servers.find((s) => s.name === name);
    if (!found) throw new Error(`no discovered server named ${name}`);
    const state = await probeServer(name, specToServer(found.spec, opts.env), pino({ level: 'silent' }));
    if (state.status !== 'up') throw new Error(`could not list its tools: ${state.reason ?? 'no answer'}`);
    return readsOnly(proposePolicy(name, (state.toolList ?? []) as unknown as ToolDefinition[]));
  };
}

/**
 * What init writes from a proposal: the catalogue's rules for Read tools, and every other tool
 * denied (so hidden by hide_denied) with the catalogue's rule in a comment to copy when you want
 * it. Init runs before anyone looked at the tools; a rate limit is no consent to write files,
 * push code or merge pull requests (the catalogue's Write rule), so nothing beyond reading is
 * allowed until a person edits the policy. `toolgate catalog SERVER --propose` prints the full
 * proposal.
 */
export function readsOnly(proposal: Proposal): string {
  const doc = parseDocument(proposal.yaml);
  const tools = doc.get('tools', true);
  let held = 0;
  if (isMap(tools)) {
    for (const pair of tools.items) {
      if (!isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      const c = proposal.classifications[name];
      const rule = (proposal.document.tools as Record<string, Record<string, unknown>>)[name] ?? {};
      if (!c || c.category === 'Read' || rule.deny === true) continue;
      held++;
      pair.value = doc.createNode({
        deny: true,
        reason: `not allowed yet: toolgate init allows Read tools only (this is ${c.category}); a person must allow it in the policy`,
      });
      const proposed = stringify(rule, { flow: true, lineWidth: 0 }).trim();
      // The catalogue's first comment line says what it proposes; say what init wrote instead.
      // (yaml keeps the comment above a map's first entry on the map itself.)
      const onMap = pair === tools.items[0] && !pair.key.commentBefore;
      const [first = '', ...rest] = ((onMap ? tools.commentBefore : pair.key.commentBefore) ?? '').split(
        '\n',
      );
      const comment = [
        first.replace(/; ([^;]*)$/, '; denied by toolgate init for now (the catalogue proposes: $1)'),
        ...rest,
        `   to allow it, replace the rule with the catalogue's: ${proposed}`,
      ]
        .filter((line, i) => i > 0 || line !== '')
        .join('\n');
      if (onMap) tools.commentBefore = comment;
      else pair.key.commentBefore = comment;
    }
  }
  doc.commentBefore = [
    doc.commentBefore ?? '',
    " Written by `toolgate init`: Read tools get the catalogue's rule; every other tool is denied",
    ` (${held} here) and so hidden, until you replace its rule (each says what the catalogue proposes).`,
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
