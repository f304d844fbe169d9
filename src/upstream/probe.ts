import type { Logger } from 'pino';
import type { ServerConfig } from '../config/index.js';
import { UpstreamLink } from './link.js';
import { withStderr } from './stderr-tail.js';

export interface ServerState {
  status: 'starting' | 'up' | 'down';
  /** While down: why, as shown (the health view adds the next attempt; its stderr's last lines). */
  reason?: string;
  /** While down: the failure alone, without what `reason` adds (for /readyz, which is public). */
  cause?: string;
  /** While down: a stdio server's last stderr lines (cleaned, secrets masked: stderr-tail.ts). */
  stderr?: string[];
  /** While down: attempts that failed in a row (probes, failed starts; restart-backoff.ts). */
  failures?: number;
  /** While down: when the next attempt to start or reach it is due. */
  retryAt?: number;
  tools?: number;
  /** The tool definitions the probe saw (every page), for the catalogue and the dashboard. */
  toolList?: Record<string, unknown>[];
  serverInfo?: { name?: string; version?: string };
  protocolVersion?: string;
  checkedAt?: number;
  /** While down: when this outage was first noticed (by a probe or by live traffic). */
  since?: number;
  /** How this server answers a call to a tool it does not have, with the name as PROBE_TOOL. */
  unknownTool?:
    | { result: Record<string, unknown> }
    | { error: { code: number; message: string; data?: unknown } };
}

/** A name no real tool has; the probe calls it to learn how the server answers unknown tools. */
export const PROBE_TOOL = 'toolgate-probe-no-such-tool-7f3a';

const PROBE_CLIENT = { name: 'toolgate-probe', version: '0.1.0' };

/**
 * Probe of one server: connect, initialize, count tools, disconnect. At start-up it tells the
 * operator at once which server is broken and why (a missing command, a refused connection), and
 * warms npx caches so the first real session starts fast; later, the health view
 * (upstream-health.ts) runs it to notice a server that went away or came back. Never throws.
 */
export async function probeServer(name: string, cfg: ServerConfig, log: Logger): Promise<ServerState> {
  const noop = () => {};
  const link = new UpstreamLink(
    name,
    { ...cfg, timeout: Math.min(cfg.timeout, 60_000) },
    {
      onServerRequest: (req, l) => l.respond(req.id, { result: {} }),
      onServerNotification: noop,
      onProgress: noop,
    },
    log,
  );
  try {
    const init = await link.initializeWith({
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: PROBE_CLIENT,
    });
    if ('error' in init) return down(link.lastError ?? init.error.message, link.lastStderr);
    const toolList: Record<string, unknown>[] = [];
    let cursor: unknown;
    for (let page = 0; page < 20; page++) {
      const list = await link.request('tools/list', cursor === undefined ? {} : { cursor }, undefined);
      if (!('result' in list)) break;
      toolList.push(...((list.result.tools ?? []) as Record<string, unknown>[]));
      cursor = list.result.nextCursor;
      if (cursor === undefined || cursor === null) break;
    }
    // A hidden tool must answer exactly like a missing one; learn this server's way of saying so.
    const unknown = await link.request('tools/call', { name: PROBE_TOOL, arguments: {} }, undefined);
    const unknownTool =
      'error' in unknown
        ? { error: unknown.error }
        : 'result' in unknown && unknown.result.isError === true
          ? { result: unknown.result }
          : undefined;
    const r = init.result as { serverInfo?: { name?: string; version?: string }; protocolVersion?: string };
    return {
      status: 'up',
      tools: toolList.length,
      toolList,
      serverInfo: r.serverInfo,
      protocolVersion: r.protocolVersion,
      unknownTool,
      checkedAt: Date.now(),
    };
  } catch (err) {
    return down((err as Error).message, link.lastStderr);
  } finally {
    await link.close();
  }
}

function down(cause: string, stderr: readonly string[] | undefined): ServerState {
  return {
    status: 'down',
    reason: withStderr(cause, stderr),
    cause,
    ...(stderr?.length ? { stderr: [...stderr] } : {}),
    checkedAt: Date.now(),
  };
}
