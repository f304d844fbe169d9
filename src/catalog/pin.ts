// Pinning: a tool's definition is hashed when a person approves it; if the upstream later serves
// a different definition (a "rug pull"), the hash differs and the diff says what changed.
import { createHash } from 'node:crypto';
import { PIN_HASH, canonicalJson as sharedCanonicalJson } from '../util/canonical-json.js';
import { oneLine } from './sanitize.js';
import type { ToolDefinition } from './types.js';

const PINNED_FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;

/**
 * The canonical JSON the pin hash is computed over (keys sorted at every depth, arrays in order),
 * in the pin hash's own flavour for non-JSON values, so no accepted pin changes.
 */
export function canonicalJson(value: unknown): string {
  return sharedCanonicalJson(value, PIN_HASH);
}

/** The pinned part of a definition: extra fields a server adds (execution, _meta, icons) do not count. */
export function pinnedView(tool: ToolDefinition): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS) if (tool[field] !== undefined) view[field] = tool[field];
  return view;
}

/**
 * `tool` as listed with its pinned fields replaced by an accepted pin's (a `pinnedView`): a pinned
 * field the pin lacks is dropped, so none of the listed text in those fields survives. The name
 * stays as listed (the aggregate endpoint prefixes it); fields a pin never covers stay too.
 */
export function withPinnedView(
  tool: Record<string, unknown>,
  pinned: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...tool };
  for (const field of PINNED_FIELDS) {
    if (field === 'name') continue;
    if (pinned[field] === undefined) delete out[field];
    else out[field] = pinned[field];
  }
  return out;
}

/** sha256 hex of the canonical JSON of the pinned fields. */
export function pinHash(tool: ToolDefinition): string {
  return createHash('sha256')
    .update(canonicalJson(pinnedView(tool)))
    .digest('hex');
}

type Json = Record<string, unknown>;

function show(value: unknown): string {
  return value === undefined
    ? '(unset)'
    : oneLine(typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value), 60);
}

function asObject(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function diffText(label: string, before: unknown, after: unknown, out: string[]): void {
  if (before === after) return;
  if (before === undefined) out.push(`${label} added: ${show(after)}`);
  else if (after === undefined) out.push(`${label} removed (was ${show(before)})`);
  else out.push(`${label} changed: ${show(before)} -> ${show(after)}`);
}

/** Schema changes by property, recursing into nested objects and array items. */
function diffSchema(label: string, before: unknown, after: unknown, out: string[], path = ''): void {
  const b = asObject(before);
  const a = asObject(after);
  const bp = asObject(b.properties);
  const ap = asObject(a.properties);
  for (const key of Object.keys(ap)) if (!(key in bp)) out.push(`${label} property added \`${path}${key}\``);
  for (const key of Object.keys(bp))
    if (!(key in ap)) out.push(`${label} property removed \`${path}${key}\``);
  for (const key of Object.keys(bp)) {
    if (!(key in ap) || canonicalJson(bp[key]) === canonicalJson(ap[key])) continue;
    const pb = asObject(bp[key]);
    const pa = asObject(ap[key]);
    const where = `${label} property \`${path}${key}\``;
    if (canonicalJson(pb.type) !== canonicalJson(pa.type))
      out.push(`${where} type ${show(pb.type)} -> ${show(pa.type)}`);
    diffText(`${where} description`, pb.description, pa.description, out);
    const rest = (o: Json) =>
      canonicalJson({
        ...o,
        type: undefined,
        description: undefined,
        properties: undefined,
        items: undefined,
      });
    if (rest(pb) !== rest(pa))
      out.push(`${where} constraints changed: ${show(rest(pb))} -> ${show(rest(pa))}`);
    diffSchema(label, pb, pa, out, `${path}${key}.`);
    if (pb.items !== undefined || pa.items !== undefined)
      diffSchema(label, pb.items, pa.items, out, `${path}${key}[].`);
  }
  const req = (o: Json) => (Array.isArray(o.required) ? (o.required as unknown[]).map(String) : []);
  for (const r of req(a)) if (!req(b).includes(r)) out.push(`${label} now requires \`${path}${r}\``);
  for (const r of req(b)) if (!req(a).includes(r)) out.push(`${label} no longer requires \`${path}${r}\``);
  // Anything else at this level (additionalProperties, $defs, oneOf...) is reported as one line.
  const others = (o: Json) =>
    canonicalJson({ ...o, properties: undefined, required: undefined, items: undefined });
  // Property-level keys were already compared by the caller, so only the root reports here.
  if (path === '' && others(b) !== others(a)) out.push(`${label} changed outside its properties`);
}

/** Human-readable changes between two definitions of a tool; empty when the pins are equal. */
export function diffDefinitions(before: ToolDefinition, after: ToolDefinition): string[] {
  const out: string[] = [];
  diffText('name', before.name, after.name, out);
  diffText('title', before.title, after.title, out);
  if (before.description !== after.description) {
    const len = (d?: string) => (d === undefined ? 'unset' : `${d.length} chars`);
    out.push(`description changed (${len(before.description)} -> ${len(after.description)})`);
  }
  for (const field of ['inputSchema', 'outputSchema'] as const) {
    const label = field === 'inputSchema' ? 'input schema' : 'output schema';
    if (canonicalJson(before[field]) === canonicalJson(after[field])) continue;
    if (before[field] === undefined || after[field] === undefined) {
      out.push(`${label} ${before[field] === undefined ? 'added' : 'removed'}`);
    } else {
      const start = out.length;
      diffSchema(label, before[field], after[field], out);
      if (out.length === start) out.push(`${label} changed`);
    }
  }
  const ba = asObject(before.annotations);
  const aa = asObject(after.annotations);
  for (const key of [...new Set([...Object.keys(ba), ...Object.keys(aa)])].sort()) {
    if (canonicalJson(ba[key]) !== canonicalJson(aa[key])) {
      out.push(`annotation ${oneLine(key, 40)} ${show(ba[key])} -> ${show(aa[key])}`);
    }
  }
  return out;
}
