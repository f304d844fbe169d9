import { describe, expect, it } from 'vitest';
import { detectIndent, findNode, JsoncError, parseJsonc, toValue } from '../../src/init/jsonc.js';

describe('jsonc reader', () => {
  const cases: [string, string, unknown][] = [
    [
      'plain JSON',
      '{"a": [1, 2.5, -3e2], "b": {"c": null, "d": true}}',
      { a: [1, 2.5, -300], b: { c: null, d: true } },
    ],
    ['line and block comments', '// top\n{ /* x */ "a": 1 // end\n}', { a: 1 }],
    ['trailing commas', '{"a": [1, 2,], "b": {"c": 1,},}', { a: [1, 2], b: { c: 1 } }],
    ['comment markers inside strings', '{"url": "http://x//y/*z*/"}', { url: 'http://x//y/*z*/' }],
    ['escapes', '{"s": "a\\"b\\\\c\\u00e9\\n"}', { s: 'a"b\\cé\n' }],
    ['a byte order mark', '\ufeff{"a": 1}', { a: 1 }],
    ['a repeated key keeps the last value', '{"a": 1, "a": 2}', { a: 2 }],
  ];
  it.each(cases)('reads %s', (_name, text, expected) => {
    expect(toValue(parseJsonc(text))).toEqual(expected);
  });

  const broken: [string, string][] = [
    ['a missing comma', '{"a": 1 "b": 2}'],
    ['an unterminated comment', '{"a": 1 /* }'],
    ['single quotes', "{'a': 1}"],
    ['text after the document', '{"a": 1} x'],
    ['an empty input', ''],
    ['a raw newline in a string', '{"a": "x\ny"}'],
  ];
  it.each(broken)('rejects %s with a line and column', (_name, text) => {
    expect(() => parseJsonc(text)).toThrow(JsoncError);
    expect(() => parseJsonc(text)).toThrow(/line \d+, column \d+/);
  });

  it('locates values by path, with offsets into the text', () => {
    const text = '{\n  "servers": {\n    "a": {"command": "x"}\n  }\n}';
    const node = findNode(parseJsonc(text), ['servers', 'a']);
    expect(node && text.slice(node.start, node.end)).toBe('{"command": "x"}');
    expect(findNode(parseJsonc(text), ['servers', 'missing'])).toBeUndefined();
  });

  it('detects the indentation unit', () => {
    expect(detectIndent('{\n    "a": 1\n}')).toBe('    ');
    expect(detectIndent('{\n\t"a": 1\n}')).toBe('\t');
    expect(detectIndent('{"a": 1}')).toBe('');
  });
});
