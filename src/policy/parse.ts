/** Text to compiled policy: JSON or YAML, with every error placed at file:line:column. */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { RawIssue } from './check.js';
import { compileDocument } from './compile.js';
import { PolicyError } from './errors.js';
import { type DocPath, formatPath } from './path.js';
import type { CompiledPolicy, PolicyIssue } from './types.js';

type Format = 'json' | 'yaml';
type Doc = ReturnType<typeof parseDocument>;

function inferFormat(file: string | undefined, text: string): Format {
  if (file && /\.json$/i.test(file)) return 'json';
  if (file && /\.ya?ml$/i.test(file)) return 'yaml';
  return /^\s*[{[]/.test(text) ? 'json' : 'yaml';
}

export function parsePolicy(text: string, opts: { file?: string; format?: Format } = {}): CompiledPolicy {
  const file = opts.file ?? '<input>';
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const format = opts.format ?? inferFormat(opts.file, src);
  const lc = new LineCounter();
  const at = (offset: number): { line: number; column: number } => {
    const pos = lc.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const issues: PolicyIssue[] = [];

  // JSON is YAML 1.2, so one parser gives positions for both; JSON.parse additionally keeps a
  // .json file strict (no comments, trailing commas or single quotes).
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(src);
    } catch (err) {
      const msg = (err as Error).message;
      const lineCol = /line (\d+) column (\d+)/.exec(msg);
      const position = /position (\d+)/.exec(msg);
      const where = lineCol
        ? { line: Number(lineCol[1]), column: Number(lineCol[2]) }
        : lineColAt(src, position ? Number(position[1]) : jsonErrorOffset(src));
      const text = msg.replace(/\s*\(line.*$/, '').replace(/\s+/g, ' ');
      issues.push({ file, ...where, path: '', message: `invalid JSON: ${text}` });
      throw new PolicyError(issues);
    }
  }
  const doc = parseDocument(src, {
    lineCounter: lc,
    uniqueKeys: true,
    prettyErrors: false,
    keepSourceTokens: false,
  });
  for (const e of doc.errors) {
    const where = at(e.pos[0]);
    const message =
      e.code === 'DUPLICATE_KEY' ? 'duplicate key; each key may appear once' : e.message.split('\n')[0]!;
    issues.push({
      file,
      ...where,
      path: '',
      message: format === 'json' ? message : `invalid YAML: ${message}`,
    });
  }
  if (issues.length > 0) throw new PolicyError(issues);
  if (format === 'yaml') value = doc.toJS({ maxAliasCount: 100 });

  const result = compileDocument(value, file);
  if (!result.policy) {
    const located = result.issues.map((i) => locate(doc, i, file, at));
    located.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new PolicyError(located);
  }
  return result.policy;
}

/** The one I/O in the policy module: read a file and parse it. */
export function loadPolicyFile(path: string): CompiledPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.message;
    throw new PolicyError([
      { file: path, line: 0, column: 0, path: '', message: `cannot read policy: ${why}` },
    ]);
  }
  return parsePolicy(text, { file: path });
}

/** 1-based line and column of a string offset (JSON.parse reports offsets on Node 20). */
/**
 * Offset of the first syntax error in strict JSON text. Node 20's JSON.parse names no position
 * for "Unexpected token" errors; this finds it so the error still points at file:line:column.
 */
function jsonErrorOffset(src: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < src.length && ' \t\n\r'.includes(src[i]!)) i++;
  };
  const word = (w: string) => {
    for (const ch of w) {
      if (src[i] !== ch) fail();
      i++;
    }
  };
  const string = () => {
    i++;
    for (;;) {
      const c = src.charCodeAt(i);
      if (Number.isNaN(c) || c < 0x20) fail();
      i++;
      if (c === 0x22) return;
      if (c !== 0x5c) continue;
      if (src[i] === 'u') {
        i++;
        for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(src[i] ?? '')) fail();
      } else if ('"\\/bfnrt'.includes(src[i] ?? 'x')) i++;
      else fail();
    }
  };
  const value = (): void => {
    ws();
    const c = src[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (src[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (src[i] !== '"') fail();
          string();
          ws();
          if (src[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (src[i] === close) {
          i++;
          return;
        }
        if (src[i] !== ',') fail();
        i++;
      }
    }
    if (c === '"') string();
    else if (c === 't' || c === 'f' || c === 'n') word(c === 't' ? 'true' : c === 'f' ? 'false' : 'null');
    else i += /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 400))?.[0].length ?? fail();
  };
  try {
    value();
    ws();
    return i;
  } catch (at) {
    return typeof at === 'number' ? at : src.length;
  }
}

function lineColAt(src: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < src.length; i++) {
    if (src[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Finds the node for a document path; a path that runs out (a missing field) points at its parent. */
function locate(
  doc: Doc,
  issue: RawIssue,
  file: string,
  at: (offset: number) => { line: number; column: number },
): PolicyIssue {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < issue.path.length; i++) {
    const seg = issue.path[i]!;
    const last = i === issue.path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      if (last && issue.atKey) {
        offset = keyNode.range?.[0] ?? offset;
        break;
      }
      offset = valueNode?.range?.[0] ?? keyNode.range?.[0] ?? offset;
      node = valueNode;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return { file, ...at(offset), path: formatPath(issue.path as DocPath), message: issue.message };
}
