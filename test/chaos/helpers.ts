/**
 * Fault-injection helpers: a TCP proxy the test owns (so it can cut a backend without touching
 * the shared one), a load driver that records every answer with its time, and /readyz polling.
 */
import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import { type HttpReply, type McpSession, resultText } from '../support/mcp-http.js';

/**
 * A TCP proxy in front of `target`. `cut()` drops every connection and refuses new ones;
 * `freeze()` keeps every connection open but lets nothing through (a frozen host, a firewall
 * dropping packets) until `thaw()`.
 */
export class TcpProxy {
  readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private frozen = false;
  /** Connections accepted so far (a reconnect shows up here). */
  accepted = 0;

  private constructor(
    private readonly targetPort: number,
    private port_: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, 0);
    await proxy.listen();
    return proxy;
  }

  get port(): number {
    return this.port_;
  }

  /** Listen again (on the same port after a cut). */
  async listen(): Promise<void> {
    const server = createServer((client) => {
      this.accepted++;
      const upstream = new Socket();
      upstream.connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.on('close', () => this.pairs.delete(pair));
      if (this.frozen) {
        client.pause();
        upstream.pause();
      } else this.flow(pair);
    });
    server.listen(this.port_, '127.0.0.1');
    await once(server, 'listening');
    this.port_ = (server.address() as { port: number }).port;
    this.server = server;
  }

  private flow([client, upstream]: [Socket, Socket]): void {
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Nothing passes in either direction, on open and new connections, until `thaw()`. */
  freeze(): void {
    this.frozen = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  thaw(): void {
    this.frozen = false;
    for (const pair of this.pairs) this.flow(pair);
  }

  /** Stop listening (new connections are refused) and reset every open connection. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? once(server, 'close') : Promise.resolve();
    server?.close();
    for (const s of this.sockets) s.resetAndDestroy();
    await closed;
  }

  async close(): Promise<void> {
    await this.cut();
  }
}

/** What one call through the gateway got back, and when. */
export interface Outcome {
  at: number;
  worker: string;
  /** 'ok': the server answered; 'refused': a clear refusal (503, or a tool error saying why); 'bad': anything else. */
  kind: 'ok' | 'refused' | 'bad';
  status: number;
  text: string;
}

/** The gateway's refusal texts we accept as "clear": each names the cause and what to do. */
export const CLEAR_REFUSAL =
  /Service unavailable: .+ retry in a few seconds|\[POLICY DENIED\] .*(fails closed|unavailable|unreachable)|\[AUDIT UNAVAILABLE\] .*nothing reached the server/;

export function classify(worker: string, reply: HttpReply, okText: (text: string) => boolean): Outcome {
  const at = Date.now();
  const error = reply.body?.error as { message?: string } | undefined;
  const result = reply.body?.result as { isError?: boolean } | undefined;
  if (reply.status === 200 && result && !result.isError && okText(resultText(reply)))
    return { at, worker, kind: 'ok', status: 200, text: resultText(reply) };
  const text = error?.message ?? (result ? resultText(reply) : reply.text);
  const clear = (reply.status === 503 || reply.status === 200) && CLEAR_REFUSAL.test(text);
  return { at, worker, kind: clear ? 'refused' : 'bad', status: reply.status, text };
}

/**
 * Workers that each call one tool in a loop on their own session until stopped. Every answer
 * (and every transport failure, as 'bad' with status 0) is recorded in order.
 */
export class Load {
  readonly outcomes: Outcome[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];

  start(
    worker: string,
    session: McpSession,
    tool: string,
    args: Record<string, unknown>,
    okText: (t: string) => boolean,
  ): void {
    this.loops.push(
      (async () => {
        while (this.running) {
          try {
            const reply = await session.callTool(tool, args, { timeoutMs: 20_000 });
            this.outcomes.push(classify(worker, reply, okText));
          } catch (err) {
            this.outcomes.push({ at: Date.now(), worker, kind: 'bad', status: 0, text: String(err) });
            // A dead gateway refuses at once: do not spin.
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      })(),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Resolves with the first outcome from `since` on that matches, polling until `timeoutMs`. */
  async first(
    what: string,
    match: (o: Outcome) => boolean,
    since: number,
    timeoutMs: number,
  ): Promise<Outcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.outcomes.find((o) => o.at >= since && match(o));
      if (hit) return hit;
      if (Date.now() > deadline) {
        const recent = this.outcomes.slice(-5).map((o) => `${o.worker} ${o.kind} ${o.status} ${o.text}`);
        throw new Error(`no ${what} within ${timeoutMs} ms; last outcomes:\n${recent.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export interface Readyz {
  status: number;
  problems: Record<string, string>;
}

export async function readyz(base: string): Promise<Readyz> {
  const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { problems: Record<string, string> };
  return { status: res.status, problems: body.problems };
}

/** Polls /readyz until `accept` holds; returns that answer. */
export async function readyzUntil(
  base: string,
  what: string,
  accept: (r: Readyz) => boolean,
  timeoutMs: number,
): Promise<Readyz> {
  const deadline = Date.now() + timeoutMs;
  let last: Readyz | undefined;
  for (;;) {
    last = await readyz(base);
    if (accept(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`/readyz never showed ${what} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
