// Step two of classification: how bad the worst plausible call is, given the category. Each rule
// can only raise the level; annotations that claim safety never lower it.
import type { Signals } from './signals.js';
import { type Category, maxRisk, type Risk } from './types.js';

export interface RiskResult {
  risk: Risk;
  reasons: string[];
}

const BASE: Record<Category, Risk> = {
  Read: 'Low',
  Write: 'Medium',
  Communication: 'Medium',
  Delete: 'High',
  Execute: 'High',
  Financial: 'High',
  Admin: 'High',
};

/** Code nouns that mean arbitrary code, as opposed to a named workflow or job. */
const CODE_WORDS = new Set([
  'sql',
  'command',
  'cmd',
  'shell',
  'script',
  'code',
  'terminal',
  'python',
  'javascript',
]);
const BULK_READ_VERBS = new Set(['export', 'dump', 'download']);
const HIGH_WRITE_VERBS = new Set(['merge', 'push', 'publish', 'release', 'install', 'upgrade', 'import']);
const ARBITRARY_CODE_VERBS = new Set(['exec', 'execute', 'eval', 'evaluate', 'shell', 'bash', 'sh', 'sudo']);
const EXTERNAL_CHANNELS = new Set(['email', 'mail', 'sms', 'text', 'push', 'whatsapp', 'voice', 'call']);
const PROTECTIONS = new Set(['protection', 'mfa', '2fa', 'sso', 'saml', 'firewall', 'audit', 'ruleset']);
const ACCESS_REMOVAL = new Set(['revoke', 'deprovision', 'suspend', 'ban', 'remove', 'delete', 'unassign']);

export function assessRisk(category: Category, s: Signals): RiskResult {
  let risk = BASE[category];
  const reasons: string[] = [`${category} starts at ${risk}`];
  const to = (level: Risk, why: string) => {
    if (maxRisk(risk, level) !== risk) {
      risk = level;
      reasons.push(`${why} -> ${level}`);
    }
  };
  const nouns = (d: Parameters<Signals['nouns']['get']>[0]) => s.nouns.get(d) ?? [];
  const props = (d: Parameters<Signals['props']['get']>[0]) => s.props.get(d) ?? [];
  const verb = s.verb?.base ?? '';
  const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');

  switch (category) {
    case 'Read':
      if (nouns('secret').length) to('High', `reads secrets (${list(nouns('secret'))})`);
      if (s.cues.has('secrets')) to('High', 'description mentions secrets or credentials');
      if (nouns('personal').length)
        to('Medium', `reads personal or private data (${list(nouns('personal'))})`);
      if (BULK_READ_VERBS.has(verb)) to('Medium', `'${verb}' copies data out in bulk`);
      break;
    case 'Write':
      if (nouns('bulk').length) to('High', `bulk change (${list(nouns('bulk'))})`);
      if (HIGH_WRITE_VERBS.has(verb)) to('High', `'${verb}' publishes changes others depend on`);
      if (s.cues.has('overwrite')) to('High', 'description says it overwrites existing data');
      if (s.cues.has('irreversible')) to('High', 'description says the change is permanent');
      break;
    case 'Delete':
      if (nouns('container').length) to('Critical', `deletes a whole ${list(nouns('container'))}`);
      if (nouns('bulk').length) to('Critical', `bulk deletion (${list(nouns('bulk'))})`);
      if (props('force').length) to('Critical', `input ${list(props('force'))} widens the deletion`);
      if (s.cues.has('irreversible')) to('Critical', 'description says the deletion is permanent');
      break;
    case 'Execute': {
      const code = nouns('code').filter((n) => CODE_WORDS.has(n));
      if (props('code').length) to('Critical', `runs caller-supplied code (${list(props('code'))})`);
      if (code.length) to('Critical', `runs ${list(code)}`);
      if (ARBITRARY_CODE_VERBS.has(verb)) to('Critical', `'${verb}' runs arbitrary code`);
      if (s.cues.has('arbitrary-code')) to('Critical', 'description offers arbitrary code or queries');
      if (verb === 'deploy' && s.cues.has('production')) to('Critical', 'deploys to production');
      break;
    }
    case 'Financial':
      if (s.verb?.cls === 'money-out') to('Critical', `'${verb}' sends money out`);
      if (nouns('money').some((n) => n === 'payout' || n === 'transfer'))
        to('Critical', 'moves funds out of the account');
      if (nouns('bulk').length) to('Critical', `bulk money movement (${list(nouns('bulk'))})`);
      if (
        risk === 'High' &&
        nouns('money').length === 0 &&
        nouns('money-weak').length === 0 &&
        s.verb?.cls !== 'money'
      ) {
        // Prices, coupons and payment links set terms; no money moves until someone pays.
        risk = 'Medium';
        reasons.push(`only sets up ${list(nouns('money-setup'))}; no money moves yet -> Medium`);
      }
      break;
    case 'Admin': {
      const removal = ACCESS_REMOVAL.has(verb);
      const privileged = [...nouns('privilege'), ...props('privilege')];
      const protections = nouns('access').filter((n) => PROTECTIONS.has(n));
      if (!removal && privileged.length) to('Critical', `can grant privileges (${list(privileged)})`);
      if (!removal && nouns('secret').length)
        to('Critical', `creates or changes secrets (${list(nouns('secret'))})`);
      if (protections.length) to('Critical', `changes a safeguard (${list(protections)})`);
      if (nouns('bulk').length) to('Critical', `bulk access change (${list(nouns('bulk'))})`);
      break;
    }
    case 'Communication': {
      const external = [...nouns('message'), s.verb?.base ?? ''].filter((n) => EXTERNAL_CHANNELS.has(n));
      if (nouns('minor').length && !props('recipient').length && !external.length) {
        // A reaction or a star says nothing in words; it cannot carry a phishing link or a secret.
        risk = 'Low';
        reasons.push(`only adds ${list(nouns('minor'))}, which carries no text -> Low`);
      }
      if (props('recipient').length) to('High', `free-form recipients (${list(props('recipient'))})`);
      if (external.length) to('High', `reaches people outside the workspace (${list(external)})`);
      if (nouns('mass-message').length) to('High', `mass messaging (${list(nouns('mass-message'))})`);
      if (nouns('bulk').length) to('High', `bulk messaging (${list(nouns('bulk'))})`);
      break;
    }
  }
  return { risk, reasons };
}
