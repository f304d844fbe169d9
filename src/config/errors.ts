export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

/**
 * A config file that cannot be used. The message lists every problem as `file:line:col path: what`
 * (just `file: what` for a problem with no place in it, such as a file that cannot be read).
 */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: ConfigIssue[]) {
    super(
      issues
        .map(
          (i) =>
            `${i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file}${i.path ? ` ${i.path}` : ''}: ${i.message}`,
        )
        .join('\n'),
    );
    this.name = 'ConfigError';
  }
}
