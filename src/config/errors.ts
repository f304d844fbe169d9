export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

/** A config file that cannot be used. The message lists every problem as `file:line:col path: what`. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: ConfigIssue[]) {
    super(
      issues
        .map((i) => `${i.file}:${i.line}:${i.column}${i.path ? ` ${i.path}` : ''}: ${i.message}`)
        .join('\n'),
    );
    this.name = 'ConfigError';
  }
}
