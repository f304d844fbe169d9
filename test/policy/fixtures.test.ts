import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type CompiledPolicy,
  canonicalPolicy,
  compilePolicy,
  type Decision,
  decide,
  isHidden,
  parsePolicy,
} from '../../src/policy/index.js';
import { type Fixture, readFixture } from './fixture-format.js';

const DIR = join(import.meta.dirname, '../fixtures/policy');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function load(fx: Fixture, file: string): CompiledPolicy {
  if (fx.policyText !== undefined) return parsePolicy(fx.policyText, { file, format: fx.format });
  return compilePolicy(fx.policy, file);
}

it('finds the fixture files', () => {
  expect(files.length).toBeGreaterThanOrEqual(10);
  // Anything else in the folder would be ignored, so it is an error.
  expect(readdirSync(DIR).filter((f) => !f.endsWith('.yaml'))).toEqual([]);
});

/** A decision without the strings that name places in the document. */
function meaning(d: Decision) {
  return {
    outcome: d.outcome,
    shadow: d.shadow,
    approval: d.approval,
    limits: d.limits.map(({ rule: _rule, ...rest }) => rest),
  };
}

for (const file of files) {
  const fx = readFixture(parse(readFileSync(join(DIR, file), 'utf8')), file);
  describe(`${file}: ${fx.description}`, () => {
    const policy = load(fx, file);
    // The canonical form must mean the same thing: every row is decided by both.
    const recompiled = compilePolicy(canonicalPolicy(policy), `${file} (canonical)`);

    for (const row of fx.rows) {
      it(row.name, () => {
        const d = decide(policy, row.call);
        expect({ outcome: d.outcome, rule: d.rule }).toEqual({ outcome: row.outcome, rule: row.rule });
        if (row.reason !== undefined) expect(d.reason).toContain(row.reason);
        if (row.explanation !== undefined) expect(d.explanation).toContain(row.explanation);
        expect(d.reason.length).toBeGreaterThan(0);
        expect(d.explanation.length).toBeGreaterThan(0);
        expect(d.shadow).toBe(row.shadow);
        expect(d.limits.length).toBe(row.limits.length);
        row.limits.forEach((l, i) => {
          expect(d.limits[i]).toMatchObject(l);
        });
        expect(d.approval).toEqual(row.approval);
        // Shorthand rules point at the words written (tools.x.rate_limit); the canonical form
        // has other paths, so the rule strings may differ but the decision must not.
        expect(meaning(decide(recompiled, row.call))).toEqual(meaning(d));
      });
    }

    for (const tool of fx.hidden) it(`hides ${tool}`, () => expect(isHidden(policy, tool)).toBe(true));
    for (const tool of fx.visible) it(`shows ${tool}`, () => expect(isHidden(policy, tool)).toBe(false));
    if (fx.canonical !== undefined) {
      it('prints the expected canonical form', () => expect(canonicalPolicy(policy)).toEqual(fx.canonical));
    }
  });
}
