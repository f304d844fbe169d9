// Keeps credentials found in client configs out of toolgate.yaml: each becomes a
// `${TOOLGATE_<SERVER>_<KEY>}` reference and the user is told which variables to set. A config
// file gets committed, pasted in issues and read by agents; an environment variable does not.
import type { MergedServer } from './merge.js';
import type { RequiredEnv, ServerSpec } from './types.js';

const SECRET_NAME =
  /(token|secret|passw|pwd|api[-_]?key|apikey|access[-_]?key|private[-_]?key|credential|auth|cookie|session|signature|dsn|_key$|^key$)/i;

/** Shapes of well-known credentials (OpenAI/Stripe, GitHub, Slack, AWS, JWT, GitLab, npm, Google). */
const SECRET_VALUE = [
  /^(sk|pk|rk)[-_][A-Za-z0-9_-]{8,}/,
  /^gh[pousr]_[A-Za-z0-9]{20,}/,
  /^github_pat_/,
  /^xox[abprs]-/,
  /^AKIA[0-9A-Z]{16}$/,
  /^eyJ[\w-]+\.[\w-]+/,
  /^glpat-/,
  /^npm_[A-Za-z0-9]{20,}/,
  /^AIza[\w-]{20,}/,
];

function looksLikeSecret(value: string): boolean {
  const v = value.replace(/^(Bearer|Basic|Token)\s+/i, '');
  if (SECRET_VALUE.some((re) => re.test(v))) return true;
  // A long run of mixed letters and digits with no path or URL shape: a key nobody types by hand.
  return v.length >= 24 && /^[A-Za-z0-9_\-+=.]+$/.test(v) && /[A-Za-z]/.test(v) && /\d/.test(v);
}

export function isSecret(key: string, value: string): boolean {
  if (!value || /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/.test(value)) return false;
  return SECRET_NAME.test(key) || looksLikeSecret(value);
}

const upper = (s: string) =>
  s
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();

export interface ProtectOptions {
  /** Copy secrets in clear (the user asked for it with --inline-secrets). */
  inline: boolean;
  /** Variable names already handed out in this run (kept unique across servers). */
  used: Set<string>;
}

export interface Protected {
  spec: ServerSpec;
  env: RequiredEnv[];
  /** `key` of each secret copied in clear with --inline-secrets. */
  inlined: string[];
  /** Each variable made for a secret and the value it must hold (kept in the 0600 secrets file). */
  moved: { name: string; value: string }[];
  /** Every secret value found (moved or inlined): none of them may stay in a backup. */
  values: string[];
}

export function protectSecrets(server: MergedServer, opts: ProtectOptions): Protected {
  const source = server.sources[0];
  const where = source ? source.file : '?';
  const env: RequiredEnv[] = [];
  const inlined: string[] = [];
  const moved: Protected['moved'] = [];
  const values: string[] = [];
  const varFor = (key: string) => {
    const base = `TOOLGATE_${upper(server.name)}_${upper(key) || 'SECRET'}`;
    let name = base;
    for (let n = 2; opts.used.has(name); n++) name = `${base}_${n}`;
    opts.used.add(name);
    return name;
  };
  const need = (name: string, origin: RequiredEnv['origin'], from: string) => {
    if (!env.some((e) => e.name === name)) env.push({ name, server: server.name, origin, from });
  };

  /** One value: translate VS Code inputs, note references, replace secrets. */
  const guard = (key: string, value: string, label: string, secret: boolean): string => {
    let text = value.replace(/\$\{input:([^}]+)\}/g, (_all, id: string) => {
      const name = varFor(id);
      need(name, 'input', `${where} (VS Code input "${id}" at ${label})`);
      return `\${${name}}`;
    });
    for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) {
      if (!m[1]?.startsWith('TOOLGATE_')) need(m[1] ?? '', 'reference', `${where} ${label}`);
    }
    if (!secret || text.includes('${')) return text;
    // Keep an auth scheme in the file so the variable holds only the credential itself.
    const scheme = /^(Bearer|Basic|Token)\s+/i.exec(text)?.[0] ?? '';
    values.push(text.slice(scheme.length));
    if (opts.inline) {
      inlined.push(label);
      return text;
    }
    const name = varFor(key);
    need(name, 'secret', `${where} ${label}`);
    moved.push({ name, value: text.slice(scheme.length) });
    text = `${scheme}\${${name}}`;
    return text;
  };

  const spec = server.spec;
  if (spec.kind === 'stdio') {
    const newEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.env)) newEnv[k] = guard(k, v, `env.${k}`, isSecret(k, v));
    const args = spec.args.map((arg, i) => {
      const flag = /^(--?[A-Za-z][\w-]*)=(.*)$/.exec(arg);
      if (flag?.[1] && flag[2] !== undefined) {
        const key = flag[1].replace(/^-+/, '');
        return `${flag[1]}=${guard(key, flag[2], `args[${i}]`, isSecret(key, flag[2]))}`;
      }
      const prev = spec.args[i - 1] ?? '';
      const afterFlag = /^--?[A-Za-z]/.test(prev) && SECRET_NAME.test(prev) && !arg.startsWith('-');
      const withPassword = /^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]+:)([^@\s/]+)(@.*)$/i.exec(arg);
      if (withPassword?.[1] && withPassword[2] && withPassword[3]) {
        return withPassword[1] + guard(`password`, withPassword[2], `args[${i}]`, true) + withPassword[3];
      }
      const key = afterFlag ? prev.replace(/^-+/, '') : `arg${i}`;
      return guard(key, arg, `args[${i}]`, afterFlag || looksLikeSecret(arg));
    });
    return { spec: { ...spec, args, env: newEnv }, env, inlined, moved, values };
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.headers)) headers[k] = guard(k, v, `headers.${k}`, isSecret(k, v));
  // Query-string credentials (`?api_key=...`) and passwords in the URL are as secret as headers.
  // Edited as text: URL objects would percent-encode the `${...}` references.
  const url = guard('url', spec.url, 'url', false)
    .replace(
      /^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]+:)([^@\s/]+)(@)/i,
      (_all, head: string, pw: string, at: string) => {
        return head + guard('password', pw, 'url password', true) + at;
      },
    )
    .replace(/([?&])([^=&#]+)=([^&#]*)/g, (all, sep: string, k: string, v: string) =>
      isSecret(k, v) ? `${sep}${k}=${guard(k, v, `url ?${k}`, true)}` : all,
    );
  return { spec: { ...spec, url, headers }, env, inlined, moved, values };
}
