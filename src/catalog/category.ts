// Step one of classification: what kind of effect the tool has. One explicit ladder; the first
// rung that matches wins and says why. Annotations are not consulted here: they are hints from an
// untrusted server and may only raise the risk later, never choose a milder category.
import type { Signals } from './signals.js';
import type { Category } from './types.js';

export interface CategoryResult {
  category: Category;
  reasons: string[];
}

const ACCESS_REMOVAL_VERBS = new Set(['revoke', 'deprovision', 'suspend', 'ban', 'kick']);
/** Verbs that bring a message into being; `update_email` or `dismiss_notification` do not. */
const CREATING_VERBS = new Set(['create', 'add', 'write', 'compose', 'submit', 'make', 'put']);
/**
 * Verbs that set a message or campaign going: `schedule_campaign`, `activate_triggered_campaign`.
 * Their opposites (`cancel`, `abort`, `deactivate`, `stop`) stop sends and deliver nothing.
 */
const LAUNCHING_VERBS = new Set([
  'schedule',
  'publish',
  'activate',
  'enable',
  'resume',
  'start',
  'trigger',
  'launch',
  'fire',
]);

function quote(words: string[] | undefined): string {
  return (words ?? []).map((w) => `'${w}'`).join(', ');
}

export function chooseCategory(s: Signals): CategoryResult {
  const v = s.verb;
  const cls = v?.cls;
  const has = (d: Parameters<Signals['nouns']['get']>[0]) => (s.nouns.get(d)?.length ?? 0) > 0;
  const prop = (d: Parameters<Signals['props']['get']>[0]) => (s.props.get(d)?.length ?? 0) > 0;
  const verbText = v ? `${v.source === 'name' ? 'name' : 'description'} verb '${v.word}'` : 'no known verb';
  const mutating = cls !== undefined && cls !== 'read' && cls !== 'record';
  const out = (category: Category, why: string): CategoryResult => ({
    category,
    reasons: [`${why} -> ${category}`],
  });

  // 1. Running code: an execute verb, or code handed in as an argument.
  if (cls === 'execute') return out('Execute', `${verbText} runs something`);
  if (prop('code') && (cls !== 'read' || v?.base === 'query')) {
    return out('Execute', `input ${quote(s.props.get('code'))} carries code or a query to run (${verbText})`);
  }
  if (cls === 'weak-execute' && (has('code') || has('runnable'))) {
    const what = [...(s.nouns.get('code') ?? []), ...(s.nouns.get('runnable') ?? [])];
    return out(
      'Execute',
      `${verbText} ${v!.base === 'stop' ? 'stops' : 'starts'} ${quote([...new Set(what)])}`,
    );
  }
  // 2. Money moving (record verbs such as track_purchase only report that it moved).
  if (cls === 'money' || cls === 'money-out') return out('Financial', `${verbText} moves money`);
  const moneyNouns = [...(s.nouns.get('money') ?? []), ...(s.nouns.get('money-setup') ?? [])];
  // A subscription to emails or lists is consent, not a billing plan.
  const weakMoney =
    !has('message') && !has('access') && !s.cues.has('consent') ? (s.nouns.get('money-weak') ?? []) : [];
  if (mutating && cls !== 'delete' && [...moneyNouns, ...weakMoney].length > 0) {
    return out('Financial', `${verbText} on ${quote([...moneyNouns, ...weakMoney])}`);
  }
  if (mutating && cls !== 'delete' && prop('money') && cls !== 'deliver') {
    return out('Financial', `${verbText} with money input ${quote(s.props.get('money'))}`);
  }
  // 3. Removing things: whole containers are a Delete even when they are also an access noun
  //    (delete_organization); removing people or keys from something is access management.
  if (cls === 'delete') {
    if (moneyNouns.length > 0) return out('Financial', `${verbText} on ${quote(moneyNouns)}`);
    if (has('container')) return out('Delete', `${verbText} on ${quote(s.nouns.get('container'))}`);
    if (has('access') || has('secret')) {
      return out(
        'Admin',
        `${verbText} on ${quote([...(s.nouns.get('access') ?? []), ...(s.nouns.get('secret') ?? [])])}`,
      );
    }
    if (has('minor'))
      return out('Write', `${verbText} only detaches ${quote(s.nouns.get('minor'))}, a reversible edit`);
    return out('Delete', `${verbText} removes data`);
  }
  // 4. Access and secrets.
  if (cls === 'admin') {
    return out('Admin', `${verbText} ${ACCESS_REMOVAL_VERBS.has(v!.base) ? 'removes' : 'changes'} access`);
  }
  if (mutating && cls !== 'deliver' && (has('access') || has('secret'))) {
    return out(
      'Admin',
      `${verbText} on ${quote([...(s.nouns.get('access') ?? []), ...(s.nouns.get('secret') ?? [])])}`,
    );
  }
  if (mutating && prop('privilege'))
    return out('Admin', `${verbText} with input ${quote(s.props.get('privilege'))}`);
  // A write that carries a password or key sets up a login or an integration.
  if (mutating && cls !== 'deliver' && prop('secret')) {
    return out('Admin', `${verbText} with secret input ${quote(s.props.get('secret'))}`);
  }
  // 5. Messages that reach people. Drafts and templates are content, not delivery.
  if (cls === 'deliver') return out('Communication', `${verbText} delivers a message`);
  const messageNouns = [...(s.nouns.get('message') ?? []), ...(s.nouns.get('mass-message') ?? [])];
  // `activate`, `enable`, `resume` and `start` set a campaign or journey going; on a single message
  // (`enable_notifications`) they change a setting.
  const launches =
    v !== undefined &&
    LAUNCHING_VERBS.has(v.base) &&
    (has('mass-message') || ['schedule', 'publish', 'trigger', 'launch', 'fire'].includes(v.base));
  const creates = launches || (v !== undefined && CREATING_VERBS.has(v.base));
  // A campaign is created as content and sent by a later step, unless this call gives it a send
  // time or says it sends: `create_blast_campaign` "is created without being scheduled".
  const massOnly = !has('message') && has('mass-message');
  const sendsNow = launches || prop('send-time') || s.cues.has('sends');
  if (creates && !has('draft') && messageNouns.length > 0 && (!massOnly || sendsNow)) {
    return out('Communication', `${verbText} on ${quote(messageNouns)}`);
  }
  if (creates && !has('draft') && prop('recipient')) {
    return out('Communication', `${verbText} with recipient input ${quote(s.props.get('recipient'))}`);
  }
  // 6. Everything else that changes state.
  if (cls === 'write' || cls === 'record' || cls === 'weak-execute') {
    const what =
      cls === 'record'
        ? 'records an event'
        : creates && massOnly
          ? `creates ${quote(s.nouns.get('mass-message'))} without sending it`
          : cls === 'weak-execute'
            ? `${v!.base === 'stop' ? 'stops' : 'starts'} an operation`
            : 'changes state';
    return out('Write', `${verbText} ${what}`);
  }
  if (cls === 'read') return out('Read', `${verbText} only reads`);
  // 7. No verb at all: assume the worst that is still common.
  return out('Write', `${verbText} in the name or description; assumed to change state`);
}
