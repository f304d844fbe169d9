// Text from upstream servers ends up in terminals, YAML comments and the dashboard. Everything
// printed from it goes through here first: one line, visible characters only, bounded length.

/** Zero-width, word-joiner, BOM and bidi-control characters, plus the Unicode tag block. */
export const INVISIBLE =
  /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|\uDB40[\uDC00-\uDC7F]/g;

function hex(ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16).toUpperCase()}}`;
}

/**
 * One printable line: control characters, line and paragraph separators become spaces,
 * invisible characters become visible `\u{...}` escapes, runs of spaces collapse, and the result
 * is cut to `max` characters (code points, so a surrogate pair is never split).
 */
export function oneLine(text: string, max = 120): string {
  const cleaned = text
    .replace(INVISIBLE, hex)
    // C0/C1 controls (newlines, tabs, ESC for terminal colours), DEL, and U+2028/U+2029.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
    .replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029\u0085]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...cleaned];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : cleaned;
}
