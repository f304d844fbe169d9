// The policy `init` writes when it has no catalogue to ask: nothing is allowed until someone
// looks at the tools. Conservative on purpose; `toolgate catalog` proposes the real one.

export function starterPolicy(server: string): string {
  return [
    `# Starter policy for "${server}", written by \`toolgate init\`.`,
    '#',
    '# It allows nothing yet: every tool is denied until you list it under `tools`. Once you name',
    '# tools here, tools the server adds later stay hidden (quarantined) until someone classifies',
    '# them (`toolgate catalog accept`).',
    `# Run \`toolgate catalog ${server}\` to see each tool classified (category, risk, reasons) with a`,
    '# proposed policy: Read allowed, Write rate-limited, Delete/Execute/Financial/Admin behind',
    '# approval, Critical hidden. Check edits offline with `toolgate policy validate`.',
    'version: "1"',
    'default: deny',
    'new_tools: quarantine',
    'tools: {}',
    '',
  ].join('\n');
}
