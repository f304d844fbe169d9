// The condition operators by name, with no imports: the policy compiler (operators.ts) and the
// dashboard's visual builder (web/src/lib/policy-model.ts) read the one list, so the builder can
// never offer an operator the server does not know, or miss one it does.
export const OPERATORS = [
  'eq',
  'neq',
  'lt',
  'lte',
  'gt',
  'gte',
  'in',
  'not_in',
  'contains',
  'starts_with',
  'ends_with',
  'regex',
  'exists',
  'not_exists',
] as const;
export type Operator = (typeof OPERATORS)[number];
