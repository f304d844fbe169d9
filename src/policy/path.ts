import type { CallFacts } from './types.js';

/** A location inside a policy document: object keys and array indices, outermost first. */
export type DocPath = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z0-9_*?-]+$/;

/** Renders a document path the way users read it: `tools.create_refund.deny_if[0].op`. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Returned by resolvePath when nothing is there; a symbol so no JSON value can collide with it. */
export const MISSING: unique symbol = Symbol('missing');
export type Resolved = unknown | typeof MISSING;

/** The parts of CallFacts a condition path may start with. */
const ROOTS = ['args', 'grant', 'session', 'server', 'tool'] as const;
type Root = (typeof ROOTS)[number];

/** A condition path split once at load so a decision only walks it. */
export interface FactPath {
  readonly text: string;
  readonly root: Root;
  readonly segments: readonly string[];
}

/** Parses `args.metadata.env`; returns an error message instead of a path when it is not usable. */
export function parseFactPath(text: string): FactPath | string {
  const parts = text.split('.');
  const root = parts[0] as Root;
  if (!ROOTS.includes(root)) {
    return `path "${text}" must start with args., grant., session., or be server or tool`;
  }
  if (parts.some((p) => p === '')) return `path "${text}" has an empty segment`;
  const segments = parts.slice(1);
  if ((root === 'server' || root === 'tool') && segments.length > 0) {
    return `path "${text}": ${root} is a string and has no fields`;
  }
  if ((root === 'args' || root === 'grant' || root === 'session') && segments.length === 0) {
    return `path "${text}" names the whole ${root} object; name a field, e.g. ${root}.${root === 'args' ? 'amount' : root === 'grant' ? 'name' : 'id'}`;
  }
  return { text, root, segments };
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Walks a path into the call. Only own properties count, so `args.constructor` or
 * `args.__proto__` can never reach Object.prototype; numeric segments index arrays.
 */
export function resolvePath(call: CallFacts, path: FactPath): Resolved {
  let cur: unknown;
  switch (path.root) {
    case 'args':
      cur = call.args;
      break;
    case 'grant':
      cur = call.grant;
      break;
    case 'session':
      cur = call.session;
      break;
    case 'server':
      return call.server;
    case 'tool':
      return call.tool;
  }
  const segs = path.segments;
  for (let i = 0; i < segs.length; i++) {
    if (cur === null || typeof cur !== 'object') return MISSING;
    const seg = segs[i]!;
    if (Array.isArray(cur)) {
      const idx = Number(seg);
      if (!Number.isInteger(idx) || idx < 0 || idx >= cur.length) return MISSING;
      cur = cur[idx];
    } else {
      if (!hasOwn.call(cur, seg)) return MISSING;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur === undefined ? MISSING : cur;
}
