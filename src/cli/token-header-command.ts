// `toolgate token-header`: the command Claude Code runs as an entry's `headersHelper` (written by
// `init --rewrite`). Claude Code runs it at each connection and sends the JSON object it prints as
// headers, so the token stays in its 0600 file: not in ~/.claude.json or .mcp.json, and not in an
// environment variable the user must export where Claude Code starts.
import { parseArgs } from 'node:util';
import type { CliContext } from './context.js';
import { readTokenFile, StdioStartError } from './stdio-config.js';
import { TOKEN_HEADER_USAGE as USAGE } from './usage.js';

export async function runTokenHeaderCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'token-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    ctx.stdout(`${USAGE}\n`);
    return 0;
  }
  const file = values['token-file'];
  if (!file) {
    ctx.stderr(`toolgate token-header: --token-file FILE is required\n${USAGE}\n`);
    return 2;
  }
  try {
    ctx.stdout(`${JSON.stringify({ Authorization: `Bearer ${readTokenFile(file)}` })}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof StdioStartError)) throw err;
    // One line on stderr, nothing on stdout: the client then reports the helper failed.
    ctx.stderr(`toolgate token-header: ${err.message}\n`);
    return 1;
  }
}
