import type { Logger } from 'pino';
import { isStdioServer, type ServerConfig } from '../config/index.js';
import { CLIENT_CAPABILITIES_KEY, CLIENT_INFO_KEY, MODERN, PROTOCOL_VERSION_KEY } from '../mcp/envelope.js';
import type { Era } from '../mcp/versions.js';
import { UpstreamLink } from '../upstream/link.js';

export type { Era } from '../mcp/versions.js';

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Which protocol era each upstream speaks, learnt once per server (and config) by asking for
 * `server/discover` with a 2026 envelope: a result listing 2026-07-28 means 2026; an error (a 2025
 * server answers -32601, or 400 without a session) means 2025. A server that cannot be reached is
 * not cached: the next request asks again.
 */
export class EraRegistry {
  private readonly known = new Map<string, Promise<Era>>();

  constructor(private readonly log: Logger) {}

  /** Record what another probe learnt (the start-up probe, a config override). */
  record(server: string, cfg: ServerConfig, era: Era): void {
    this.known.set(keyOf(server, cfg), Promise.resolve(era));
  }

  eraOf(server: string, cfg: ServerConfig): Promise<Era> {
    const key = keyOf(server, cfg);
    let era = this.known.get(key);
    if (!era) {
      era = probeEra(server, cfg, this.log).then(
        ({ era, cache }) => {
          if (!cache) this.known.delete(key);
          else this.log.info({ server, era }, 'upstream protocol era');
          return era;
        },
        () => {
          this.known.delete(key);
          return '2025' as const;
        },
      );
      this.known.set(key, era);
    }
    return era;
  }
}

function keyOf(server: string, cfg: ServerConfig): string {
  return `${server}\n${isStdioServer(cfg) ? JSON.stringify([cfg.command, cfg.args]) : cfg.url}`;
}

async function probeEra(
  server: string,
  cfg: ServerConfig,
  log: Logger,
): Promise<{ era: Era; cache: boolean }> {
  const link = new UpstreamLink(
    server,
    { ...cfg, timeout: Math.min(cfg.timeout, PROBE_TIMEOUT_MS) },
    {
      onServerRequest: (req, l) => l.respond(req.id, { error: { code: -32601, message: 'probe' } }),
      onServerNotification: () => {},
      onProgress: () => {},
    },
    log,
  );
  try {
    const res = await link.request(
      'server/discover',
      {
        _meta: {
          [PROTOCOL_VERSION_KEY]: MODERN,
          [CLIENT_CAPABILITIES_KEY]: {},
          [CLIENT_INFO_KEY]: { name: 'toolgate-era-probe', version: '0.1.0' },
        },
      },
      undefined,
    );
    if ('result' in res) {
      const versions = res.result.supportedVersions;
      return { era: Array.isArray(versions) && versions.includes(MODERN) ? '2026' : '2025', cache: true };
    }
    // Connection failures say nothing about the era; anything the server itself said does.
    const unreachable = /fetch failed|ECONNREFUSED|cannot reach|ENOENT|spawn/.test(res.error.message);
    return { era: '2025', cache: !unreachable };
  } finally {
    await link.close();
  }
}
