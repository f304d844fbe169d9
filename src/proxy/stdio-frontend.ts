import type { Readable, Writable } from 'node:stream';
import {
  echoableId,
  envelopeProblem,
  errorResponse,
  INVALID_REQUEST,
  type JsonRpcMessage,
  PARSE_ERROR,
} from '../mcp/jsonrpc.js';
import { LineSplitter } from '../upstream/line-splitter.js';
import { depthProblem } from '../util/json-depth.js';
import type { ClientSession } from './session.js';
import type { Sink } from './sink.js';

/**
 * Serves one client session over stdio: newline-delimited JSON-RPC in, the same out. Every
 * message for the client, whatever stream it would have used over HTTP, goes to stdout.
 */
export function serveStdio(
  session: ClientSession,
  input: Readable,
  output: Writable,
  /** The longest message taken from the client, in characters (`listen.max_body` over HTTP). */
  maxLine = 4 * 1024 * 1024,
): Promise<void> {
  const sink: Sink = {
    get open() {
      return output.writable;
    },
    send(message: JsonRpcMessage) {
      if (output.writable) output.write(`${JSON.stringify(message)}\n`);
    },
  };
  session.attachStandalone(sink);
  const lines = new LineSplitter(
    (line) => {
      if (line.trim() === '') return;
      // Before parsing: deep nesting overflows the stack of everything that walks a message (F11).
      const tooDeep = depthProblem(line);
      if (tooDeep) {
        sink.send(errorResponse(null, INVALID_REQUEST, tooDeep), true);
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (err) {
        sink.send(errorResponse(null, PARSE_ERROR, `Parse error: ${(err as Error).message}`), true);
        return;
      }
      const problem = envelopeProblem(parsed);
      if (problem) {
        sink.send(errorResponse(echoableId(parsed), INVALID_REQUEST, `Invalid Request: ${problem}`), true);
        return;
      }
      // A refused notification has nobody waiting for an answer; say why on stdout all the same
      // (an error without an id), so the client's log shows what the gateway did not relay.
      const refused = session.handle(parsed as JsonRpcMessage, sink);
      if (refused) sink.send(refused, true);
    },
    maxLine,
    (chars) =>
      sink.send(
        errorResponse(
          null,
          INVALID_REQUEST,
          `Invalid Request: a message of ${chars} characters is over the limit of ${maxLine}`,
        ),
        true,
      ),
  );
  input.on('data', (chunk: Buffer) => lines.push(chunk));
  return new Promise((resolve) => input.once('end', () => resolve()));
}
