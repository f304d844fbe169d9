// A small JSON-with-comments reader that remembers where every value sits in the text. VS Code
// files carry comments and trailing commas, and `--rewrite` must replace single server entries
// in place (leaving every other byte, comments included) rather than re-serialise whole files.

export type JsonNode =
  | {
      kind: 'object';
      start: number;
      end: number;
      members: { key: string; keyStart: number; value: JsonNode }[];
    }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'scalar'; start: number; end: number; value: string | number | boolean | null };

export class JsoncError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'JsoncError';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\n]|\\.)*"/y;

export function parseJsonc(text: string): JsonNode {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (message: string): never => {
    const before = text.slice(0, i).split('\n');
    throw new JsoncError(message, before.length, (before.at(-1)?.length ?? 0) + 1);
  };

  const skip = () => {
    for (;;) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else if (c === '/' && text[i + 1] === '/') {
        while (i < text.length && text[i] !== '\n') i++;
      } else if (c === '/' && text[i + 1] === '*') {
        const close = text.indexOf('*/', i + 2);
        if (close < 0) fail('unterminated comment');
        i = close + 2;
      } else return;
    }
  };

  const string = (): string => {
    STRING.lastIndex = i;
    const m = STRING.exec(text);
    if (!m) return fail('invalid string');
    i += m[0].length;
    try {
      return JSON.parse(m[0]) as string; // decodes escapes; rejects raw control characters
    } catch {
      return fail('invalid string');
    }
  };

  const value = (): JsonNode => {
    skip();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const members: { key: string; keyStart: number; value: JsonNode }[] = [];
      skip();
      while (text[i] !== '}') {
        if (text[i] !== '"') fail('expected a property name in double quotes');
        const keyStart = i;
        const key = string();
        skip();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        members.push({ key, keyStart, value: value() });
        skip();
        if (text[i] === ',') {
          i++;
          skip(); // a trailing comma before `}` is tolerated
        } else if (text[i] !== '}') fail('expected "," or "}"');
      }
      i++;
      return { kind: 'object', start, end: i, members };
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      skip();
      while (text[i] !== ']') {
        items.push(value());
        skip();
        if (text[i] === ',') {
          i++;
          skip();
        } else if (text[i] !== ']') fail('expected "," or "]"');
      }
      i++;
      return { kind: 'array', start, end: i, items };
    }
    if (c === '"') {
      const s = string();
      return { kind: 'scalar', start, end: i, value: s };
    }
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return { kind: 'scalar', start, end: i, value: v };
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail(i >= text.length ? 'unexpected end of file' : `unexpected "${c}"`);
    i += m[0].length;
    return { kind: 'scalar', start, end: i, value: Number(m[0]) };
  };

  const root = value();
  skip();
  if (i < text.length) fail('unexpected text after the document');
  return root;
}

/** The plain value of a node; a repeated key keeps its last value, as JSON.parse does. */
export function toValue(node: JsonNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'array') return node.items.map(toValue);
  const out: Record<string, unknown> = {};
  for (const m of node.members) {
    Object.defineProperty(out, m.key, {
      value: toValue(m.value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The node at `path` (object keys only), or undefined. */
export function findNode(root: JsonNode, path: string[]): JsonNode | undefined {
  let node: JsonNode | undefined = root;
  for (const key of path) {
    if (node?.kind !== 'object') return undefined;
    node = node.members.findLast((m) => m.key === key)?.value;
  }
  return node;
}

/** The file's indentation unit: '\t', some spaces, or '' for a one-line file. */
export function detectIndent(text: string): string {
  const m = /\n([ \t]+)\S/.exec(text);
  if (!m?.[1]) return '';
  return m[1].startsWith('\t') ? '\t' : m[1];
}

/** The leading whitespace of the line that holds `offset`. */
export function lineIndentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
}
