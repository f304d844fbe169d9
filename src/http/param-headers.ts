/**
 * SEP-2243 custom headers (2026-07-28): a tool's `inputSchema` may mark primitive properties with
 * `x-mcp-header: "<Name>"`, and a 2026 client then mirrors each such argument of a `tools/call`
 * into an `Mcp-Param-<Name>` header. The server MUST reject a request whose headers disagree with
 * the body (400, -32020 HeaderMismatch): a missing header for a value the body carries, a header
 * that decodes to another value, a `=?base64?...?=` sentinel that is not canonical Base64.
 *
 * A 2026 upstream checks this itself; a 2025 upstream behind the gateway never sees the headers, so
 * the gateway checks every stateless `tools/call` against the declarations the upstream listed.
 * The headers are only ever checked, never read for policy: policy decides from the body.
 *
 * Rules as in the 2026-07-28 Streamable HTTP transport ("Custom Headers from Tool Parameters") and
 * the SDK v2 server (`validateMcpParamHeaders`), which the conformance scenario
 * `http-custom-header-server-validation` referees:
 * - a declaration sits on a property reached from the root by `properties` keys only, its name is a
 *   non-empty RFC 9110 token, unique case-insensitively, on a `string`, `integer` or `boolean`
 *   property. A tool with any other fault has an invalid definition (conforming clients drop it) and
 *   is not checked; a `number`-typed declaration is a fault too, but such a tool is still checked;
 * - the body value null or absent: no header is expected (one that is sent is ignored);
 * - strings compare after decoding; booleans as `true` / `false`; integers (and numbers) numerically
 *   when the header is a plain decimal (`42.0` equals `42`), as strings otherwise;
 * - a value without the complete `=?base64?` ... `?=` wrapper is literal.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import {
  PARAM_HEADER_PREFIX,
  type ParamHeaderDeclaration,
  type ScanResult,
  scanParamHeaders,
} from '../era/param-headers.js';

// The declaration scan is shared with the upstream channel (which sends these headers to 2026
// upstreams), so it lives in src/era/param-headers.ts; re-exported here for existing importers.
export {
  PARAM_HEADER_PREFIX,
  type ParamHeaderDeclaration,
  type ScanResult,
  scanParamHeaders,
} from '../era/param-headers.js';

const BASE64_CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const SENTINEL_START = '=?base64?';
const SENTINEL_END = '?=';

/** A header value as text: the Base64 sentinel decoded (UTF-8), undefined when it is malformed. */
export function decodeParamValue(value: string): string | undefined {
  if (!(value.startsWith(SENTINEL_START) && value.endsWith(SENTINEL_END)) || value.length < 11) return value;
  const b64 = value.slice(SENTINEL_START.length, -SENTINEL_END.length);
  if (!BASE64_CANONICAL.test(b64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return undefined;
  }
}

function primitiveText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * Compare the `Mcp-Param-*` headers of one `tools/call` with its `arguments`. Returns what is wrong
 * (naming the header) or undefined. Node gives header names in lower case: the lookup is
 * case-insensitive, as HTTP field names are.
 */
export function paramHeaderProblem(
  declarations: readonly ParamHeaderDeclaration[],
  args: unknown,
  headers: IncomingHttpHeaders,
): { header: string; message: string } | undefined {
  for (const d of declarations) {
    let value: unknown = args;
    for (const key of d.path)
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (value === undefined || value === null) continue; // nothing to mirror: no header expected
    const body = primitiveText(value);
    if (body === undefined) continue; // not a primitive: argument validation (upstream) owns that
    const header = `${PARAM_HEADER_PREFIX}${d.name}`;
    const raw = headers[header.toLowerCase()];
    const sent = Array.isArray(raw) ? raw.join(', ') : raw;
    if (sent === undefined)
      return { header, message: `the ${header} header is required: the body carries ${d.path.join('.')}` };
    const decoded = decodeParamValue(sent);
    if (decoded === undefined)
      return { header, message: `the ${header} header is not valid Base64 inside =?base64?...?=` };
    const numeric = (d.type === 'integer' || d.type === 'number') && typeof value === 'number';
    const equal = numeric && DECIMAL.test(decoded) ? Number(decoded) === value : decoded === body;
    if (!equal)
      return { header, message: `the ${header} header does not match the body's ${d.path.join('.')}` };
  }
  return undefined;
}

/** What is checked of a scan: a valid tool's declarations, or those kept despite a `number` fault. */
function checkedDeclarations(scan: ScanResult): readonly ParamHeaderDeclaration[] {
  return scan.declarations ?? [];
}

/**
 * The declarations checked for a tool whose definition is not the listed one (an accepted pin shown
 * instead, see DecisionGate.shownParamHeaders); undefined when it declares none, as `get` answers.
 * Not cached: only calls to a changed tool get here, and those are denied anyway.
 */
export function declarationsOf(inputSchema: unknown): readonly ParamHeaderDeclaration[] | undefined {
  const declarations = checkedDeclarations(scanParamHeaders(inputSchema));
  return declarations.length > 0 ? declarations : undefined;
}

/**
 * The `x-mcp-header` declarations of every tool an upstream listed, per server and tool, from the
 * tools/list results the gateway relays (DecisionGate.observeTools) and its own probes. Cheap: only
 * tools that declare something are kept; a later listing of the same tool replaces (or drops) them.
 */
export class ParamHeaderRegistry {
  private readonly byServer = new Map<string, Map<string, readonly ParamHeaderDeclaration[]>>();
  /** server \n tool -> the reason last logged, so an invalid tool is logged once, not per listing. */
  private readonly warned = new Map<string, string>();

  constructor(private readonly log?: Logger) {}

  observe(server: string, tools: readonly Record<string, unknown>[]): void {
    for (const tool of tools) {
      if (typeof tool.name !== 'string') continue;
      const scan = scanParamHeaders(tool.inputSchema);
      const declarations = checkedDeclarations(scan);
      if (!scan.ok && this.warned.get(`${server}\n${tool.name}`) !== scan.reason) {
        this.warned.set(`${server}\n${tool.name}`, scan.reason);
        this.log?.warn(
          { server, tool: tool.name, reason: scan.reason },
          'tool has an invalid x-mcp-header declaration (2026 clients drop it)',
        );
      }
      let tools = this.byServer.get(server);
      if (declarations.length === 0) {
        tools?.delete(tool.name);
        continue;
      }
      if (!tools) {
        tools = new Map();
        this.byServer.set(server, tools);
      }
      tools.set(tool.name, declarations);
    }
  }

  /** The declarations of a tool, or undefined when it declares none (or was never listed). */
  get(server: string, tool: string): readonly ParamHeaderDeclaration[] | undefined {
    return this.byServer.get(server)?.get(tool);
  }
}
