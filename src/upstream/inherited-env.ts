/**
 * The variables a stdio server inherits from the gateway's environment, besides its own `env:`:
 * the SDK's list (`getDefaultEnvironment` of @modelcontextprotocol/client/stdio), kept here so
 * that starting a server does not load the SDK's client (half a second of `toolgate stdio`'s start,
 * issue 15). test/upstream/inherited-env.test.ts keeps the two equal.
 */
const INHERITED =
  process.platform === 'win32'
    ? [
        'APPDATA',
        'COMSPEC',
        'HOMEDRIVE',
        'HOMEPATH',
        'LOCALAPPDATA',
        'PATH',
        'PATHEXT',
        'PROCESSOR_ARCHITECTURE',
        'PROGRAMDATA',
        'PROGRAMFILES',
        'PROGRAMFILES(X86)',
        'PROGRAMW6432',
        'SYSTEMDRIVE',
        'SYSTEMROOT',
        'TEMP',
        'USERNAME',
        'USERPROFILE',
        'WINDIR',
      ]
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

export function inheritedEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of INHERITED) {
    const value = env[key];
    // A value starting with "()" is a shell function (the Shellshock pattern): never passed on.
    if (value === undefined || value.startsWith('()')) continue;
    out[key] = value;
  }
  return out;
}
