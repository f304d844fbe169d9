import { describe, expect, it } from 'vitest';
import { namedTools, quarantines } from '../../src/gateway/quarantine.js';
import { compilePolicy } from '../../src/policy/index.js';

// docs/catalog.md "Quarantine of new tools": which tools a policy holds back when unpinned.
describe('new_tools: quarantine rule', () => {
  const policy = compilePolicy({
    version: '1',
    default: 'allow',
    new_tools: 'quarantine',
    hide: ['drop_*', 'wipe'],
    tools: { get_issue: {}, 'list_*': {} },
  });

  it('names exact tools keys and hide entries, never globs', () => {
    expect([...namedTools(policy)].sort()).toEqual(['get_issue', 'wipe']);
  });

  it('quarantines an unnamed tool, also one a glob key matches', () => {
    expect(quarantines(policy, 'get_issue')).toBe(false);
    expect(quarantines(policy, 'wipe')).toBe(false);
    expect(quarantines(policy, 'create_issue')).toBe(true);
    expect(quarantines(policy, 'list_issues')).toBe(true);
  });

  it('does nothing under new_tools: policy, without new_tools, or when the policy names no tool', () => {
    expect(quarantines(compilePolicy({ version: '1', new_tools: 'policy', tools: { a: {} } }), 'b')).toBe(
      false,
    );
    expect(quarantines(compilePolicy({ version: '1', tools: { a: {} } }), 'b')).toBe(false);
    expect(quarantines(compilePolicy({ version: '1', new_tools: 'quarantine', tools: {} }), 'b')).toBe(false);
    expect(
      quarantines(compilePolicy({ version: '1', new_tools: 'quarantine', tools: { '*': {} } }), 'b'),
    ).toBe(false);
  });
});
