/**
 * How deeply one JSON-RPC message from a client may nest. Much of the gateway walks a message
 * recursively (redaction, canonical JSON for digests, policy path lookups, JSON.stringify when
 * relaying), and a message nested 100,000 levels deep overflows the stack in each (F11). No MCP
 * message needs more than a few dozen levels; 64 leaves tool arguments plenty of room.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACE = 0x7d; // }
const CLOSE_BRACKET = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * The nesting depth of JSON text, read without parsing it: one linear pass, no recursion, and it
 * stops as soon as the depth passes `limit` (returning limit + 1). Run it before `JSON.parse`,
 * which itself takes seconds on a few megabytes of brackets. Text that is not valid JSON gets a
 * number too; the parse that follows reports it.
 */
export function jsonTextDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) break; // unterminated: JSON.parse says so
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/** Index of the quote that closes the string opened at `open`, or -1; skips the content by indexOf. */
function stringEnd(text: string, open: number): number {
  let at = text.indexOf('"', open + 1);
  while (at >= 0) {
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at; // an even run of backslashes escapes only itself
    at = text.indexOf('"', at + 1);
  }
  return -1;
}

/**
 * The nesting depth of a value already parsed (objects and arrays count a level each), walked
 * with an explicit stack; stops past `limit` (returning limit + 1). For messages that did not
 * arrive as text the gateway read, so every way in is held to the same bound.
 */
export function jsonValueDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  if (typeof value !== 'object' || value === null) return 0;
  const stack: Array<[object, number]> = [[value, 1]];
  let deepest = 0;
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [object, number];
    if (d > deepest) {
      deepest = d;
      if (deepest > limit) return deepest;
    }
    // Only containers go on the stack: a large result of strings costs one pass, no allocations.
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
  }
  return deepest;
}

/**
 * How deeply a message from a server may nest before the gateway refuses to relay it. Looser than
 * the clients' bound (results can be richer than requests) and still far from any stack limit.
 */
export const MAX_UPSTREAM_JSON_DEPTH = 4 * MAX_JSON_DEPTH;

/** The reason a client's message is refused for its nesting, or undefined when it is within bounds. */
export function depthProblem(text: string, limit = MAX_JSON_DEPTH): string | undefined {
  if (jsonTextDepth(text, limit) <= limit) return undefined;
  return `Invalid Request: the message is nested more than ${limit} levels deep; the gateway accepts at most ${limit} levels of objects and arrays`;
}
