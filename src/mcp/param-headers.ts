/**
 * SEP-2243 custom headers (2026-07-28), the pure part shared by both sides of the gateway: the
 * `x-mcp-header` declaration scan of a tool's `inputSchema`, and the value encoding a 2026 client
 * uses to mirror arguments into `Mcp-Param-<Name>` headers, and the check of a client's headers
 * against its body (for a 2025 upstream, which cannot check them itself); the upstream channel (src/upstream/mcp-headers.ts)
 * sends the headers on its own `tools/call` requests to a 2026 upstream, exactly as the SDK v2
 * client does (`scanXMcpHeaderDeclarations`, `buildMcpParamHeaders`, `encodeMcpParamValue`).
 * Imports nothing of ours, so `upstream/` and `http/` may both use it.
 */

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

/** The declarations of one tool of one server, or undefined when it declares none (or is unknown). */
export type ParamHeaderLookup = (
  server: string,
  tool: string,
) => readonly ParamHeaderDeclaration[] | undefined;

const BASE64_PREFIX = '=?base64?';
const BASE64_SUFFIX = '?=';

/**
 * An HTTP field value per the 2026 value-encoding rule (the SDK's `encodeMcpParamValue`): a safe
 * plain-ASCII value passes unchanged; anything else (empty, padded, non-ASCII or control
 * characters, or already looking like the sentinel) is sent as `=?base64?{utf-8 base64}?=`.
 */
export function encodeMcpParamValue(value: string): string {
  return needsBase64(value)
    ? `${BASE64_PREFIX}${Buffer.from(value, 'utf8').toString('base64')}${BASE64_SUFFIX}`
    : value;
}

function needsBase64(s: string): boolean {
  if (s.length === 0) return true;
  if (s.startsWith(BASE64_PREFIX) && s.endsWith(BASE64_SUFFIX)) return true;
  if (s !== s.trim()) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 9 || (c >= 32 && c <= 126)) continue;
    return true;
  }
  return false;
}

/** A primitive argument as header text (the SDK's `mcpParamPrimitiveToString`); undefined: omit. */
function primitiveHeaderText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return undefined;
    return String(value);
  }
  return undefined;
}

/**
 * The `Mcp-Param-<Name>` headers of one `tools/call` (the SDK's `buildMcpParamHeaders`), keyed in
 * lower case as fetch sends them: a null or absent argument, or one that is not a primitive, gets
 * no header.
 */
export function paramHeaderValues(
  declarations: readonly ParamHeaderDeclaration[],
  args: unknown,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of declarations) {
    let value: unknown = args;
    for (const key of d.path)
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (value === undefined || value === null) continue;
    const text = primitiveHeaderText(value);
    if (text === undefined) continue;
    out[`${PARAM_HEADER_PREFIX}${d.name}`.toLowerCase()] = encodeMcpParamValue(text);
  }
  return out;
}

/*
 * The check (SEP-2243, 2026-07-28): a tool's `inputSchema` may mark primitive properties with
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
const BASE64_CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A header value as text: the Base64 sentinel decoded (UTF-8), undefined when it is malformed. */
export function decodeParamValue(value: string): string | undefined {
  if (!(value.startsWith(BASE64_PREFIX) && value.endsWith(BASE64_SUFFIX)) || value.length < 11) return value;
  const b64 = value.slice(BASE64_PREFIX.length, -BASE64_SUFFIX.length);
  if (!BASE64_CANONICAL.test(b64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return undefined;
  }
}

/**
 * Compare the `Mcp-Param-*` headers of one `tools/call` with its `arguments`. Returns what is wrong
 * (naming the header) or undefined. Node gives header names in lower case: the lookup is
 * case-insensitive, as HTTP field names are.
 */
export function paramHeaderProblem(
  declarations: readonly ParamHeaderDeclaration[],
  args: unknown,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): { header: string; message: string } | undefined {
  for (const d of declarations) {
    let value: unknown = args;
    for (const key of d.path)
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (value === undefined || value === null) continue; // nothing to mirror: no header expected
    const body = primitiveHeaderText(value);
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
