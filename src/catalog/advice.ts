// Turns a category and risk into the rule a careful operator would start from, and into the
// sentence that tells them why. The rules here are the proposal rules of docs/catalog.md.
import type { Category, Risk } from './types.js';

export interface RateLimit {
  window: 'second' | 'minute' | 'hour' | 'day';
  max: number;
}

export interface AdviceOptions {
  /** Per-grant limit for Write tools (default 30 a minute; 10 a minute for High-risk writes). */
  writeLimit?: RateLimit;
}

/** A counter name that is safe whatever the tool is called (`track-event` -> `track_event_rate`). */
export function counterName(tool: string): string {
  const base = tool
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `${base || 'tool'}_rate`;
}

function limit(tool: string, { window, max }: RateLimit) {
  return { limits: [{ counter: counterName(tool), window, max, scope: 'grant' }] };
}

/**
 * The recommended PolicyLayer v1 tool rule. Critical and poisoned tools are denied here, which
 * `hide_denied` leaves out of tools/list; proposals also put poisoned tools under `hide`: a
 * poisoned description reaches the model through tools/list, so it must stay out in every mode.
 */
export function recommendRule(
  tool: string,
  category: Category,
  risk: Risk,
  opts: AdviceOptions & { poisoned?: boolean } = {},
) {
  if (opts.poisoned) {
    return {
      deny: true,
      reason: 'the tool definition contains instructions aimed at the model (possible poisoning)',
    };
  }
  if (risk === 'Critical') {
    return {
      deny: true,
      reason: `${category} tool of Critical risk: a person must review it before any agent uses it`,
    };
  }
  switch (category) {
    case 'Read':
      // Reads that expose secrets stay allowed but cannot be used to sweep them up quickly.
      return risk === 'High' ? limit(tool, { window: 'minute', max: 10 }) : {};
    case 'Write':
      return limit(tool, opts.writeLimit ?? { window: 'minute', max: risk === 'High' ? 10 : 30 });
    case 'Communication':
      // Messages reach people: spam is the loop failure, so the cap is lower than for writes,
      // and messages to arbitrary outside recipients wait for a person.
      return risk === 'High'
        ? { approval: {}, ...limit(tool, { window: 'hour', max: 20 }) }
        : limit(tool, { window: 'minute', max: 10 });
    default:
      return { approval: {} };
  }
}

const HARM: Record<Category, (subject: string) => string> = {
  Read: (s) =>
    `read ${s} over and over, copying it into the conversation where a poisoned prompt can send it elsewhere`,
  Write: (s) => `write ${s} hundreds of times a minute, flooding the system with duplicate or false records`,
  Delete: (s) => `delete ${s}, possibly repeatedly and beyond recovery`,
  Execute: (s) => `run ${s} with the server's privileges, and anything that code can reach`,
  Financial: (s) =>
    `move money through ${s}: repeated refunds, charges or payouts that are hard to claw back`,
  Admin: (s) =>
    `change who can do what through ${s}, handing access to an attacker or locking out the owners`,
  Communication: (s) =>
    `send ${s} in the owner's name: spam in a loop, or phishing and leaked data under a poisoned prompt`,
};

/** The remedy sentence is read off the rule itself, so the two can never disagree. */
function remedy(rule: Record<string, unknown>): string {
  if (rule.deny) return 'The proposal hides it until a person decides an agent may use it at all.';
  const limits = rule.limits as Array<{ max: number; window: string }> | undefined;
  const first = limits?.[0];
  const article = first?.window === 'hour' ? 'an' : 'a';
  const cap = first ? ` and caps it at ${first.max} calls ${article} ${first.window} per grant` : '';
  if (rule.approval) return `The proposal holds each call for a person's approval${cap}.`;
  if (cap) return `The proposal allows it${cap}, which bounds a loop.`;
  return 'The proposal allows it: the worst case costs little.';
}

/** What an agent stuck in a loop or steered by a poisoned prompt could do with the tool. */
export function explainWhy(subject: string, category: Category, rule: Record<string, unknown>): string {
  return `An agent stuck in a loop or steered by a poisoned prompt could ${HARM[category](subject)}. ${remedy(rule)}`;
}
