// Server names and the aggregate separator. The aggregate endpoint /mcp names every tool
// `<server><separator><tool>` and routes a call by the text before the first separator, so a
// server whose name contains the separator is unreachable there, or worse, its tools route to
// the server named by the text before it (`bank__x__echo` went to `bank`; review finding F19).

/** `aggregate.separator` when the config does not set one; the one spelling of it in the code. */
export const DEFAULT_AGGREGATE_SEPARATOR = '__';

/** What is wrong with a server name under this separator, in words; undefined when nothing. */
export function separatorProblem(name: string, separator: string): string | undefined {
  if (!name.includes(separator)) return undefined;
  return (
    `server name "${name}" contains "${separator}", the separator of the aggregate endpoint /mcp ` +
    `(which names tools <server>${separator}<tool>), so /mcp could not tell which server a tool belongs to`
  );
}

/**
 * A name for `name` without the separator, not among `taken`, and of the characters server
 * names allow: each separator becomes `_`, else `-`, else nothing (the first the separator does
 * not bring back), again until none is left (`a___b` gives `a_b`). A name without the separator
 * is kept as it is, unless taken.
 */
export function suggestServerName(name: string, separator: string, taken: ReadonlySet<string>): string {
  const base = name.includes(separator) ? withoutSeparator(name, separator) : name;
  // A suggestion, not a promise: bounded, so an odd separator (digits, say) cannot loop.
  const dash = separator.includes('-') ? '' : '-';
  let candidate = base;
  for (let n = 2; n < 1000 && (taken.has(candidate) || candidate.includes(separator)); n++)
    candidate = `${base}${dash}${n}`;
  return candidate;
}

function withoutSeparator(name: string, separator: string): string {
  for (const filler of ['_', '-', '']) {
    let s = name;
    for (let pass = 0; pass < 64 && s.includes(separator); pass++) s = s.split(separator).join(filler);
    s = s.replace(/^[-_]+|[-_]+$/g, '');
    if (s !== '' && !s.includes(separator)) return s;
  }
  return 'server';
}
