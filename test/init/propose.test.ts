// What init's proposal allows (docs/init.md, "What the policies allow"): the catalogue's rule for
// Read tools, every other tool denied and hidden, with the catalogue's rule in its comment.
import { describe, expect, it } from 'vitest';
import { proposePolicy, type ToolDefinition } from '../../src/catalog/index.js';
import { readsOnly } from '../../src/cli/init-propose.js';
import { type CallFacts, decide, deniedWhateverArgs, parsePolicy } from '../../src/policy/index.js';

// Tool definitions as the filesystem and GitHub servers publish them (names and descriptions).
const TOOLS: ToolDefinition[] = [
  { name: 'read_file', description: 'Read the complete contents of a file from the file system.' },
  { name: 'list_directory', description: 'Get a detailed listing of all files and directories in a path.' },
  {
    name: 'get_file_contents',
    description: 'Get the contents of a file or directory from a GitHub repository',
  },
  {
    name: 'write_file',
    description: 'Create a new file or completely overwrite an existing file with new content.',
  },
  { name: 'push_files', description: 'Push multiple files to a GitHub repository in a single commit' },
  { name: 'merge_pull_request', description: 'Merge a pull request' },
  { name: 'create_issue', description: 'Create a new issue in a GitHub repository' },
  { name: 'delete_file', description: 'Delete a file from a GitHub repository' },
  { name: 'get_env', description: 'Returns all environment variables of the server process' },
];

const call = (tool: string): CallFacts => ({
  server: 'fs',
  tool,
  args: {},
  grant: { name: 'local' },
  session: { id: 's' },
});

describe("init's proposal", () => {
  const proposal = proposePolicy('fs', TOOLS);
  const text = readsOnly(proposal);
  const policy = parsePolicy(text, { file: 'fs.yaml' });

  it('allows the Read tools with the catalogue rule and denies and hides every other tool', () => {
    const reads = TOOLS.filter((t) => proposal.classifications[t.name]?.category === 'Read').map(
      (t) => t.name,
    );
    expect(reads).toEqual(expect.arrayContaining(['read_file', 'list_directory', 'get_file_contents']));
    for (const t of TOOLS) {
      const decision = decide(policy, call(t.name));
      if (reads.includes(t.name) && proposal.classifications[t.name]?.risk !== 'Critical') {
        expect(decision.outcome, t.name).toBe('allow');
      } else {
        expect(decision.outcome, t.name).toBe('deny');
        // denied whatever the arguments: hide_denied leaves it out of tools/list
        expect(deniedWhateverArgs(policy, t.name), t.name).toBe(true);
      }
    }
    // what the issue found allowed (rate-limited) before
    for (const name of ['write_file', 'push_files', 'merge_pull_request', 'create_issue', 'delete_file']) {
      expect(decide(policy, call(name)).outcome, name).toBe('deny');
    }
  });

  it("keeps the catalogue's own rule for each denied tool, ready to paste", () => {
    const comment = text.split('\n').filter((l) => l.includes("replace the rule with the catalogue's"));
    const denied = TOOLS.filter((t) => proposal.classifications[t.name]?.category !== 'Read');
    expect(comment).toHaveLength(denied.length);
    expect(text).toMatch(
      /# write_file: Write, \w+ risk; denied by toolgate init for now \(the catalogue proposes: allowed, \d+ calls a minute per grant\)/,
    );
    // no comment says a denied tool is allowed
    expect(text).not.toMatch(
      /: (Write|Delete|Execute|Financial|Admin|Communication), \w+ risk; (allowed|needs approval)/,
    );
  });
});
