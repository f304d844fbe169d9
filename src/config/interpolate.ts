// `${VAR}` and `${VAR:-default}` in string values. Done on the parsed YAML tree (not the raw
// text) so a value can never inject YAML structure, and each missing variable names its line.

const PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(text: string, env: NodeJS.ProcessEnv, onMissing: (name: string) => void): string {
  if (!text.includes('${')) return text;
  return text.replace(PATTERN, (_all, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    onMissing(name);
    return '';
  });
}
