/**
 * The floor every HTTP proxy stands on: a relay that knows nothing of MCP and checks nothing,
 * run as its own process so it pays the same extra hop (and the same scheduling on a shared
 * machine) as a gateway. The overhead benchmark measures it in the same run as toolgate, so
 * "what does toolgate add over any HTTP hop" is a number, not an argument.
 *
 *   node --import tsx bench/lib/bare-relay.ts http <upstream url>      HTTP -> HTTP, bytes piped
 *   node --import tsx bench/lib/bare-relay.ts stdio <command> [args]   HTTP -> one stdio child
 *
 * It prints `{"url": ...}` on its first line. Reference only: one client, no sessions, no
 * policy, no error handling beyond a 502; never point anything real at it.
 */
import { spawn } from 'node:child_process';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';

const [mode, ...rest] = process.argv.slice(2);

function httpRelay(target: URL): (req: IncomingMessage, res: ServerResponse) => void {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return (req, res) => {
    const up = request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host }, agent },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    up.on('error', () => res.headersSent || res.writeHead(502).end());
    req.pipe(up);
  };
}

/** Requests go to the child as lines; the line with the same id is the HTTP answer. */
function stdioRelay(command: string, args: string[]): (req: IncomingMessage, res: ServerResponse) => void {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  const pending = new Map<unknown, ServerResponse>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { id?: unknown; method?: string };
    const res = message.method === undefined ? pending.get(message.id) : undefined;
    if (!res) return; // the child's own notifications and requests go nowhere
    pending.delete(message.id);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(line) });
    res.end(line);
  });
  return (req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const message = JSON.parse(body) as { id?: unknown; method?: string };
      if (message.id !== undefined && message.method !== undefined) pending.set(message.id, res);
      else res.writeHead(202).end();
      child.stdin.write(`${body}\n`);
    });
  };
}

const handler =
  mode === 'http' && rest[0]
    ? httpRelay(new URL(rest[0]))
    : mode === 'stdio' && rest[0]
      ? stdioRelay(rest[0], rest.slice(1))
      : undefined;
if (!handler) {
  console.error('usage: bare-relay.ts http <upstream url> | stdio <command> [args...]');
  process.exit(2);
}
const server = createServer(handler);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/mcp` }));
});
