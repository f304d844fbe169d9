// Public surface of the catalogue: classify tools, propose a policy, pin and diff definitions,
// scan for poisoning. Pure: no I/O beyond hashing, no imports from the rest of src/.
export { type AdviceOptions, counterName, type RateLimit } from './advice.js';
export { classifyTool } from './classify.js';
export { canonicalJson, diffDefinitions, pinHash, pinnedView, withPinnedView } from './pin.js';
export { type Proposal, type ProposeOptions, proposePolicy } from './propose.js';
export { oneLine } from './sanitize.js';
export { LONG_DESCRIPTION, scanDescription, scanTool } from './scan.js';
export {
  CATEGORIES,
  type Category,
  type Classification,
  maxRisk,
  type PoisonFinding,
  type PoisonKind,
  RISKS,
  type Risk,
  riskRank,
  type ToolAnnotations,
  type ToolDefinition,
} from './types.js';
