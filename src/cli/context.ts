export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout(s: string): void;
  stderr(s: string): void;
}
