import { describe, expect, it } from 'vitest';
import { depthProblem, jsonTextDepth, jsonValueDepth, MAX_JSON_DEPTH } from '../../src/util/json-depth.js';

describe('jsonTextDepth', () => {
  it.each([
    ['1', 0],
    ['"[[["', 0],
    ['{}', 1],
    ['[[], {}]', 2],
    ['{"a":{"b":[1,{"c":2}]}}', 4],
    ['{"a":"\\"[[[","b":[]}', 2], // an escaped quote does not end the string
    ['{"a":"\\\\","b":[[]]}', 3], // an escaped backslash does: the string ends after it
    ['[[[', 3], // invalid JSON still gets a depth; JSON.parse reports the rest
    ['{"a":"unterminated [[[[', 1],
  ])('%s is %i deep', (text, depth) => {
    expect(jsonTextDepth(text)).toBe(depth);
    if (depth > 0 && !text.includes('unterminated') && text !== '[[[')
      expect(jsonValueDepth(JSON.parse(text))).toBe(depth);
  });

  it('stops just past the limit, however deep the text goes', () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    expect(jsonTextDepth(deep, 10)).toBe(11);
    expect(depthProblem(deep)).toBe(
      `Invalid Request: the message is nested more than ${MAX_JSON_DEPTH} levels deep; the gateway accepts at most ${MAX_JSON_DEPTH} levels of objects and arrays`,
    );
    expect(depthProblem(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBeUndefined();
  });

  it('walks a parsed value without recursion', () => {
    let v: unknown = [];
    for (let i = 1; i < 200_000; i++) v = { a: v };
    expect(jsonValueDepth(v, 100)).toBe(101);
    expect(jsonValueDepth({ a: [1, { b: null }], c: 'x' })).toBe(3);
  });
});
