/**
 * A raw streamable-HTTP MCP client for end-to-end tests that must see status codes, headers and
 * exact JSON-RPC bodies (an SDK client hides them). Every request has its own deadline.
 */

export type Json = Record<string, unknown>;

export interface HttpReply {
  status: number;
  headers: Headers;
  /** The JSON body, or for an SSE response the message that answers the request. */
  body: Json | undefined;
  /** Every JSON-RPC message received (one for JSON, all events for SSE). */
  messages: Json[];
  text: string;
}

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export const CLIENT_INFO = { name: 'toolgate-e2e', version: '1.0.0' };
export const PROTOCOL_VERSION = '2025-11-25';

/** POST one body (an object is serialized; a string is sent exactly as given). */
export async function post(url: string, body: unknown, opts: PostOptions = {}): Promise<HttpReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...opts.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  });
  return readReply(res);
}

export async function readReply(res: Response): Promise<HttpReply> {
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let messages: Json[] = [];
  if (type.startsWith('text/event-stream')) {
    messages = text
      .split(/\n\n/)
      .map((event) =>
        event
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n'),
      )
      .filter((data) => data !== '')
      .map((data) => JSON.parse(data) as Json);
  } else if (text !== '' && type.includes('json')) {
    messages = [JSON.parse(text) as Json];
  }
  const body = messages.find((m) => !('method' in m)) ?? messages[0];
  return { status: res.status, headers: res.headers, body, messages, text };
}

export function rpcError(reply: HttpReply): { code: number; message: string } | undefined {
  return reply.body?.error as { code: number; message: string } | undefined;
}

/**
 * A bare `initialize` POST bearing `token`, outside any session: it authenticates like any call,
 * so its status (401, 403) says whether the token is let in.
 */
export function postInitialize(
  url: string,
  token: string,
  clientName = 'x',
  init: { signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: clientName, version: '1' },
      },
    }),
    ...init,
  });
}

/** The text parts of a `tools/call` result, one a line. */
export const resultText = (r: HttpReply) =>
  ((r.body?.result as { content?: { text?: string }[] } | undefined)?.content ?? [])
    .map((c) => c.text ?? '')
    .join('\n');

/** A 2025-era session opened through `initialize` + `notifications/initialized`. */
export class McpSession {
  private nextId = 1;

  private constructor(
    readonly url: string,
    readonly id: string,
    readonly initialize: Json,
    private readonly headers: Record<string, string>,
  ) {}

  static async open(
    url: string,
    headers: Record<string, string> = {},
    opts: { timeoutMs?: number; capabilities?: Json } = {},
  ): Promise<McpSession> {
    const init = await post(
      url,
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: opts.capabilities ?? {},
          clientInfo: CLIENT_INFO,
        },
      },
      { headers, timeoutMs: opts.timeoutMs ?? 30_000 },
    );
    const id = init.headers.get('mcp-session-id');
    if (init.status !== 200 || !id || !init.body || !('result' in init.body)) {
      throw new Error(`initialize failed: HTTP ${init.status} ${init.text.slice(0, 500)}`);
    }
    const session = new McpSession(url, id, init.body.result as Json, headers);
    const ack = await session.notify('notifications/initialized');
    if (ack.status !== 202) throw new Error(`initialized got HTTP ${ack.status}: ${ack.text}`);
    return session;
  }

  get sessionHeaders(): Record<string, string> {
    return { ...this.headers, 'mcp-session-id': this.id, 'mcp-protocol-version': PROTOCOL_VERSION };
  }

  request(method: string, params?: Json, opts: PostOptions = {}): Promise<HttpReply> {
    const message = { jsonrpc: '2.0', id: this.nextId++, method, ...(params ? { params } : {}) };
    return post(this.url, message, { ...opts, headers: { ...this.sessionHeaders, ...opts.headers } });
  }

  notify(method: string, params?: Json): Promise<HttpReply> {
    return post(
      this.url,
      { jsonrpc: '2.0', method, ...(params ? { params } : {}) },
      { headers: this.sessionHeaders },
    );
  }

  /**
   * Send a request and read its SSE answer as it arrives, so a test can act mid-call (kill the
   * upstream once the server's sampling request reached the client, say).
   */
  stream(method: string, params: Json | undefined, timeoutMs = 30_000): StreamingCall {
    const message = { jsonrpc: '2.0', id: this.nextId++, method, ...(params ? { params } : {}) };
    const seen: Json[] = [];
    let wake = () => {};
    const finished = (async () => {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...this.sessionHeaders,
        },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || !res.body) {
        const reply = await readReply(res);
        seen.push(...reply.messages);
        wake();
        return reply;
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const data = buffer
            .slice(0, end)
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          buffer = buffer.slice(end + 2);
          if (data) seen.push(JSON.parse(data) as Json);
          wake();
          end = buffer.indexOf('\n\n');
        }
      }
      const body = seen.find((m) => !('method' in m));
      return { status: res.status, headers: res.headers, body, messages: seen, text: '' } satisfies HttpReply;
    })();
    finished.finally(() => wake()).catch(() => undefined);
    const next = async (what: string, match: (m: Json) => boolean): Promise<Json> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = seen.find(match);
        if (hit) return hit;
        if (Date.now() > deadline)
          throw new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(seen)}`);
        const settled = await Promise.race([
          new Promise<boolean>((r) => {
            wake = () => r(false);
          }),
          finished.then(
            () => true,
            () => true,
          ),
          new Promise<boolean>((r) => setTimeout(() => r(false), 200)),
        ]);
        if (settled && !seen.some(match))
          throw new Error(`the call ended without ${what}: ${JSON.stringify(seen)}`);
      }
    };
    return { seen, next, finished };
  }

  callTool(name: string, args: Json = {}, opts: PostOptions = {}): Promise<HttpReply> {
    return this.request('tools/call', { name, arguments: args }, opts);
  }

  async listTools(): Promise<string[]> {
    const reply = await this.request('tools/list');
    const tools = (reply.body?.result as { tools?: { name: string }[] } | undefined)?.tools;
    if (!tools) throw new Error(`tools/list failed: HTTP ${reply.status} ${reply.text.slice(0, 500)}`);
    return tools.map((t) => t.name);
  }

  async close(): Promise<void> {
    await fetch(this.url, {
      method: 'DELETE',
      headers: this.sessionHeaders,
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
  }
}

export interface StreamingCall {
  /** Messages received so far, in order. */
  seen: Json[];
  /** Resolves with the first message matching `match` (waiting for it if needed). */
  next(what: string, match: (m: Json) => boolean): Promise<Json>;
  finished: Promise<HttpReply>;
}

/** The conformance fixture's `test_simple_text` answer: proof that a call went through. */
export const SIMPLE_TEXT_RESULT = {
  content: [{ type: 'text', text: 'This is a simple text response for testing.' }],
};

/** Poll `check` until it returns a value (not undefined), or fail after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
