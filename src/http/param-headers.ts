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

export const PARAM_HEADER_PREFIX = 'Mcp-Param-';

/** One `x-mcp-header` declaration: where the argument sits, the header's `<Name>`, its JSON type. */
export interface ParamHeaderDeclaration {
  path: readonly string[];
  name: string;
  type: string;
}

export type ScanResult =
  | { ok: true; declarations: ParamHeaderDeclaration[] }
  /** `declarations` is set when `number`-typed declarations are the only fault (still checked). */
  | { ok: false; reason: string; declarations?: ParamHeaderDeclaration[] };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PERMITTED_TYPES = new Set(['string', 'integer', 'boolean']);
/** Subschema keywords a declaration must not sit under (not reachable through `properties` alone). */
const UNREACHABLE = [
  'items',
  'prefixItems',
  'contains',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'propertyNames',
  'patternProperties',
  'dependentSchemas',
  'oneOf',
  'anyOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  '$defs',
  'definitions',
];
const NAMED_SUBSCHEMAS = new Set(['patternProperties', 'dependentSchemas', '$defs', 'definitions']);
const BASE64_CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const SENTINEL_START = '=?base64?';
const SENTINEL_END = '?=';

const where = (path: readonly string[]) => (path.length === 0 ? 'the schema root' : path.join('.'));

/** Every `x-mcp-header` declaration in a tool's `inputSchema`, or why the schema is invalid. */
export function scanParamHeaders(inputSchema: unknown): ScanResult {
  const declarations: ParamHeaderDeclaration[] = [];
  const seen = new Map<string, string>();
  let numberFault: string | undefined;
  const visit = (node: unknown, path: readonly string[], reachable: boolean): string | undefined => {
    if (node === null || typeof node !== 'object') return undefined;
    const schema = node as Record<string, unknown>;
    if ('x-mcp-header' in schema) {
      const name = schema['x-mcp-header'];
      if (!reachable || path.length === 0)
        return `${where(path)}: x-mcp-header must sit on a property reached through "properties" only`;
      if (typeof name !== 'string' || name === '')
        return `${where(path)}: x-mcp-header must be a non-empty string`;
      if (!TOKEN.test(name)) return `${where(path)}: x-mcp-header "${name}" is not an HTTP token`;
      const type = typeof schema.type === 'string' ? schema.type : undefined;
      if (type === undefined || !PERMITTED_TYPES.has(type)) {
        const fault = `${where(path)}: x-mcp-header "${name}" is on a ${type ?? 'untyped'} property (string, integer or boolean only)`;
        if (type !== 'number') return fault;
        numberFault ??= fault;
      }
      const prior = seen.get(name.toLowerCase());
      if (prior !== undefined) return `x-mcp-header "${name}" is declared twice (also as "${prior}")`;
      seen.set(name.toLowerCase(), name);
      declarations.push({ path, name, type: type ?? 'number' });
    }
    const properties = schema.properties;
    if (properties !== null && typeof properties === 'object')
      for (const [key, child] of Object.entries(properties as Record<string, unknown>)) {
        const fault = visit(child, [...path, key], reachable);
        if (fault) return fault;
      }
    for (const k of UNREACHABLE) {
      const sub = schema[k];
      if (sub === undefined) continue;
      const branches = Array.isArray(sub)
        ? sub
        : NAMED_SUBSCHEMAS.has(k) && sub !== null && typeof sub === 'object'
          ? Object.values(sub as Record<string, unknown>)
          : [sub];
      for (const branch of branches) {
        const fault = visit(branch, [...path, `<${k}>`], false);
        if (fault) return fault;
      }
    }
    return undefined;
  };
  const fault = visit(inputSchema, [], true);
  if (fault !== undefined) return { ok: false, reason: numberFault ?? fault };
  return numberFault === undefined
    ? { ok: true, declarations }
    : { ok: false, reason: numberFault, declarations };
}

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
      const declarations = scan.declarations ?? [];
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
