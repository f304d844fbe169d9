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
/**
 * Operations that only exist on running infrastructure and move traffic or capacity when they run
 * (rolling back a release, draining a node, failing a database over): High whatever their object.
 * Ambiguous verbs (`scale`, `undo`, `apply`) are High only on an `infra` noun instead.
 */
const INFRA_VERBS = new Set(['rollback', 'drain', 'cordon', 'uncordon', 'evict', 'failover']);
/** Verbs that take a whole project or instance offline while leaving it in place (pause_project). */
const OUTAGE_VERBS = new Set(['pause']);
/** Money nouns whose movement is money leaving the account (create_payout, create_wire_payment). */
const OUTGOING_MONEY = new Set(['payout', 'transfer', 'wire', 'withdrawal', 'remittance']);
/** Money nouns that are the money itself: sending one pays someone (send_payment). */
const PAYABLE_MONEY = new Set(['payment', 'money', 'fund', 'funds']);
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
      if (s.cues.has('download-links'))
        to('High', 'returns download links: whoever holds one can fetch the whole export');
      break;
    case 'Write':
      if (nouns('bulk').length) to('High', `bulk change (${list(nouns('bulk'))})`);
      if (s.cues.has('bulk')) to('High', 'description says it changes items in bulk');
      if (HIGH_WRITE_VERBS.has(verb)) to('High', `'${verb}' publishes changes others depend on`);
      if (INFRA_VERBS.has(verb)) to('High', `'${verb}' moves traffic or capacity of running infrastructure`);
      if (nouns('infra').length) to('High', `changes running infrastructure (${list(nouns('infra'))})`);
      if (OUTAGE_VERBS.has(verb) && nouns('container').length)
        to('High', `'${verb}' takes a whole ${list(nouns('container'))} offline`);
      if (s.cues.has('overwrite')) to('High', 'description says it overwrites existing data');
      if (s.cues.has('irreversible')) to('High', 'description says the change is permanent');
      break;
    case 'Delete':
      if (nouns('container').length) to('Critical', `deletes a whole ${list(nouns('container'))}`);
      // terraform_destroy, helm_uninstall: everything the tool manages goes, not one record.
      if (nouns('infra').length) to('Critical', `removes running infrastructure (${list(nouns('infra'))})`);
      if (nouns('bulk').length) to('Critical', `bulk deletion (${list(nouns('bulk'))})`);
      if (s.cues.has('bulk')) to('Critical', 'description says it deletes in bulk');
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
      if (nouns('money').some((n) => OUTGOING_MONEY.has(n))) to('Critical', 'moves funds out of the account');
      if (s.verb?.cls === 'deliver' && nouns('money').some((n) => PAYABLE_MONEY.has(n)))
        to('Critical', `'${verb}' sends ${list(nouns('money'))} to someone`);
      if (nouns('bulk').length) to('Critical', `bulk money movement (${list(nouns('bulk'))})`);
      if (s.cues.has('bulk')) to('Critical', 'description says it moves money in bulk');
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
      if (s.cues.has('bulk')) to('Critical', 'description says it changes access in bulk');
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
      if (s.cues.has('bulk')) to('High', 'description says it sends in bulk');
      break;
    }
  }
  return { risk, reasons };
}
