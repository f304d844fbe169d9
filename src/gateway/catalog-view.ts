// One catalogue entry per tool, the same for `toolgate catalog --json` and GET /api/catalog/:server
// (docs/catalog.md documents the shape): classification, pin state, findings and what the policy
// would do with a call without arguments.
import {
  type Classification,
  classifyTool,
  diffDefinitions,
  pinHash,
  type ToolDefinition,
} from '../catalog/index.js';
import type { PinChangeMode } from '../config/index.js';
import { type CompiledPolicy, decide, isHidden } from '../policy/index.js';
import type { ToolPin } from '../store/index.js';
import { quarantines } from './quarantine.js';

export interface CatalogTool {
  name: string;
  title?: string;
  description?: string;
  category: Classification['category'];
  risk: Classification['risk'];
  reasons: string[];
  /** The reasons that moved the category or risk, and contradictions: what a reader needs first. */
  topReasons: string[];
  findings: Classification['findings'];
  recommended: Record<string, unknown>;
  why: string;
  pin: {
    state: 'new' | 'pinned' | 'changed';
    /** Hash of the definition the server lists now. */
    hash: string;
    /** The accepted pin, when there is one. */
    pinnedHash?: string;
    acceptedAt?: number;
    /** What changed since the accepted pin (state `changed` only). */
    changes?: string[];
  };
  /** New under a `new_tools: quarantine` policy and never accepted: hidden and unknown to agents. */
  quarantined: boolean;
  /** What the gateway would decide for a call of this tool without arguments. */
  decision: { outcome: string; rule: string; reason: string };
}

export function topReasons(c: Classification, max = 3): string[] {
  const decisive = c.reasons.filter(
    (r) => r.includes('->') || r.startsWith('poisoning') || r.includes('contradicts'),
  );
  return [...new Set(decisive.length > 0 ? decisive : c.reasons)].slice(0, max);
}

export function catalogTool(
  server: string,
  def: ToolDefinition,
  policy: CompiledPolicy,
  pin: ToolPin | undefined,
  grant = 'local',
  onChange: PinChangeMode = 'pinned',
): CatalogTool {
  const c = classifyTool(def);
  const hash = pinHash(def);
  const state = !pin ? 'new' : pin.hash === hash ? 'pinned' : 'changed';
  const quarantined = !pin && quarantines(policy, def.name);
  let decision: CatalogTool['decision'];
  if (isHidden(policy, def.name) || (!quarantined && state !== 'changed')) {
    const d = decide(policy, {
      server,
      tool: def.name,
      args: {},
      grant: { name: grant },
      session: { id: 'catalog' },
    });
    decision = { outcome: d.outcome, rule: d.rule, reason: d.reason };
  } else if (quarantined) {
    decision = { outcome: 'hide', rule: 'new_tools', reason: 'new tool, quarantined until accepted' };
  } else if (onChange === 'hide') {
    decision = { outcome: 'hide', rule: 'pin', reason: 'tool definition changed, hidden until accepted' };
  } else {
    decision = { outcome: 'deny', rule: 'pin', reason: 'tool definition changed since it was approved' };
  }
  return {
    name: def.name,
    ...(def.title !== undefined ? { title: def.title } : {}),
    ...(def.description !== undefined ? { description: def.description } : {}),
    category: c.category,
    risk: c.risk,
    reasons: c.reasons,
    topReasons: topReasons(c),
    findings: c.findings,
    recommended: c.recommended,
    why: c.why,
    pin: {
      state,
      hash,
      ...(pin ? { pinnedHash: pin.hash, acceptedAt: pin.acceptedAt } : {}),
      ...(state === 'changed' && pin
        ? { changes: diffDefinitions(pin.definition as unknown as ToolDefinition, def) }
        : {}),
    },
    quarantined,
    decision,
  };
}
