/**
 * The usage text of each command, apart from the commands themselves: `toolgate X --help` and a
 * usage error print it without loading the command (nor reading a config).
 */
export const SERVE_USAGE = `usage: toolgate serve [--config FILE] [--port N] [--env-file FILE] [--json]

Starts the gateway over HTTP with the servers, grants and policies of FILE (default ./toolgate.yaml,
or $TOOLGATE_CONFIG), and prints each server's URL and how to sign in to the dashboard.
  -c, --config FILE  the config file
  -p, --port N       listen on N instead of listen.port (0 picks a free port)
  --env-file FILE    NAME='value' lines (mode 0600, e.g. init's .toolgate/secrets.env) added to
                     the environment the config's \${VAR}s and the servers read
  --json             print the start-up summary as one JSON line`;

export const STDIO_USAGE = `usage: toolgate stdio --server NAME [--token-file FILE | --grant NAME] [--env-file FILE]
                      [--config FILE]

The gateway for clients that launch a command (Claude Desktop, say): serves one configured server
(or, without --server, every server under <server>__<tool> names) over stdin/stdout, with the same
policies, limits, pins and audit as \`toolgate serve\`.
  -s, --server NAME  the server to serve
  --token-file FILE  a file (mode 0600) holding the grant token this process serves as; needed
                     when tokens are on, unless --grant names a grant of toolgate.yaml
  --grant NAME       whose policy applies (a grant of toolgate.yaml; with auth.mode: none the
                     default is local, each server's own policy)
  --env-file FILE    NAME='value' lines (mode 0600) for the chosen server's \${VAR}s; only the
                     chosen server's variables are needed
  -c, --config FILE  the config file (default ./toolgate.yaml, or $TOOLGATE_CONFIG)`;

export const INIT_USAGE = `usage: toolgate init [--dir DIR] [--only NAME...] [--exclude NAME...] [--rewrite]
                     [--force] [--yes] [--dry-run] [--json] [--port N] [--auth token|none]
                     [--inline-secrets]
       toolgate init --undo [--dir DIR] [--force] [--dry-run] [--json]

Finds MCP servers in Claude Desktop, Claude Code, Cursor, VS Code and Windsurf configs, writes
DIR/toolgate.yaml and DIR/policies/<server>.yaml (never overwriting without --force).
  --rewrite         point those clients at the gateway (a backup of each file is kept)
  --undo            restore every client file --rewrite changed, byte for byte
  --yes             ask nothing (the default when not in a terminal)
  --inline-secrets  copy secrets from client configs into toolgate.yaml instead of \${VAR}s`;

export const CATALOG_USAGE = `usage: toolgate catalog [SERVER] [--json] [--propose [--write DIR] [--force]] [--config FILE]
       toolgate catalog accept SERVER TOOL [--hash SHA256] [--json] [--config FILE]

Connects to the configured servers and shows every tool: category, risk, the reasons, poisoning
findings, pin state (new / pinned / CHANGED) and what the policy decides for a call without
arguments. --propose prints a starting policy per server; --write DIR writes DIR/<server>.yaml.
\`accept\` pins the tool's current definition: a changed tool can be called again, a quarantined
one appears. --hash refuses unless the current definition is the one you reviewed.`;

export const POLICY_USAGE = `usage:
  toolgate policy validate FILE... [--canonical]
  toolgate policy test FILE --tool NAME [--args JSON] [--grant NAME] [--server NAME]
                       [--session ID] [--claims JSON] [--json]
  toolgate policy explain FILE --tool NAME [same options as test]`;

export const GRANTS_USAGE = `usage:
  toolgate grants create --name NAME --server SERVER [--server SERVER2] [--policy FILE] [--expires 30d] [--json]
  toolgate grants list [--json]
  toolgate grants revoke NAME

Each reads the store of --config FILE (default ./toolgate.yaml, or $TOOLGATE_CONFIG).`;

export const AUDIT_USAGE = `usage:
  toolgate audit tail [-n 20] [-f] [--json]
  toolgate audit verify [--json]
  toolgate audit export [--since ISO-TIME|DURATION] [--format jsonl]

Each reads the store of --config FILE (default ./toolgate.yaml, or $TOOLGATE_CONFIG).`;

export const APPROVALS_USAGE = `usage:
  toolgate approvals list [--status pending|approved|denied|expired|withdrawn|all] [--json]
  toolgate approvals approve ID [--note TEXT]
  toolgate approvals deny ID [--note TEXT]

Each reads the store of --config FILE (default ./toolgate.yaml, or $TOOLGATE_CONFIG).`;

export const ADMIN_USAGE = `usage:
  toolgate admin token [--rotate] [--json] [--config FILE]

Shows the admin token the gateway made for itself (when admin.token_env is not set), or with
--rotate replaces it: the running gateway takes the new one at its next admin request, and every
dashboard session signed in with the old one ends. The token alone goes to stdout, so
  curl -H "Authorization: Bearer $(toolgate admin token 2>/dev/null)" http://127.0.0.1:8787/api/servers
works.`;

export const TOKEN_HEADER_USAGE = `usage: toolgate token-header --token-file FILE

Prints {"Authorization":"Bearer <token>"} for the grant token in FILE (one line, mode 0600), for a
client that reads its headers from a command (Claude Code's "headersHelper"). Refuses a file
that other users may read. Needs no toolgate.yaml.
  --token-file FILE  the token file (init writes .toolgate/local.token)`;
