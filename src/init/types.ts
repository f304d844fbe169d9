// The shapes `toolgate init` passes between discovery, planning, writing and rewriting.

export type ClientId = 'claude-desktop' | 'claude-code' | 'cursor' | 'vscode' | 'windsurf';
export type Scope = 'user' | 'project' | 'local';

/** One client configuration file that may hold MCP servers. */
export interface ClientFile {
  client: ClientId;
  /** The scope of the file itself; a container inside it may narrow it (Claude Code's projects). */
  scope: Scope;
  path: string;
  /** The objects (paths inside the document) whose keys are server names. */
  containers: { path: string[]; scope: Scope }[];
}

export interface StdioSpec {
  kind: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

export interface HttpSpec {
  kind: 'http';
  url: string;
  headers: Record<string, string>;
  transport: 'streamable-http' | 'sse';
}

export type ServerSpec = StdioSpec | HttpSpec;

/** One server entry as a client file holds it. */
export interface FoundEntry {
  client: ClientId;
  scope: Scope;
  file: string;
  /** Where the entry sits in the file: container path + entry key. */
  path: string[];
  /** The entry key (the name the client shows). */
  entry: string;
  /** The entry with the client's variable syntax translated to toolgate's `${VAR}`. */
  spec: ServerSpec;
  disabled: boolean;
  /** Things the user should know about this entry (unsupported fields, prompts). */
  notes: string[];
}

export interface Problem {
  file: string;
  reason: string;
}

export interface Discovery {
  /** Files that exist and were read, with the entry keys found in each. */
  files: { client: ClientId; scope: Scope; path: string; entries: string[] }[];
  entries: FoundEntry[];
  /** Entries that already point at a toolgate gateway (left alone). */
  gatewayEntries: { file: string; entry: string }[];
  problems: Problem[];
}

/** An environment variable `toolgate serve` needs (a `secret` comes from `--env-file`). */
export interface RequiredEnv {
  name: string;
  server: string;
  /** `secret`: a value copied out of a client file; `reference`: the client file already
   *  referenced this variable; `input`: a VS Code input prompt. */
  origin: 'secret' | 'reference' | 'input';
  /** Where the value lives today (file and key), never the value itself. */
  from: string;
}

/** One upstream server in the toolgate.yaml being written. */
export interface PlannedServer {
  name: string;
  spec: ServerSpec;
  sources: FoundEntry[];
  env: RequiredEnv[];
  /** Variables made for secrets and their values (only ever written to the 0600 secrets file). */
  secrets: { name: string; value: string }[];
  /** Every secret value found in the entry, moved or inlined: redacted from backups. */
  secretValues: string[];
}
