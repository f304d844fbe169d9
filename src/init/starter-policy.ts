// The policy `init` writes when it has no catalogue to ask: nothing is allowed until someone
// looks at the tools. Conservative on purpose; `toolgate catalog` proposes the real one.

export function starterPolicy(server: string): string {
  return [
    `# Starter policy for "${server}", written by \`toolgate init\`.`,
    '#',
    '# It allows nothing yet: every tool is denied until you list it under `tools`, and denied tools',
    '# are left out of tools/list (hide_denied, on by default), so agents see none yet. Once you name',
    '# tools here, tools the server adds later stay hidden (quarantined) until someone classifies',
    '# them (`toolgate catalog accept`).',
    `# Run \`toolgate catalog ${server}\` to see each tool classified (category, risk, reasons) with a`,
    '# proposed policy: Read allowed, Write rate-limited, Delete/Execute/Financial/Admin behind',
    '# approval, Critical denied, poisoned definitions hidden. Check edits offline with',
    '# `toolgate policy validate`; `toolgate policy explain` says whether a tool is listed.',
    'version: "1"',
    'default: deny',
    'new_tools: quarantine',
    'tools: {}',
    '',
  ].join('\n');
}
