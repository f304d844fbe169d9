import { Badge } from '@mantine/core';

const RISK_COLOURS: Record<string, string> = {
  Low: 'green',
  Medium: 'yellow',
  High: 'orange',
  Critical: 'red',
};
const CATEGORY_COLOURS: Record<string, string> = {
  Read: 'blue',
  Write: 'cyan',
  Delete: 'red',
  Execute: 'grape',
  Financial: 'orange',
  Admin: 'pink',
  Communication: 'teal',
};
const DECISION_COLOURS: Record<string, string> = {
  allow: 'green',
  deny: 'red',
  hide: 'gray',
  approval: 'violet',
  rate_limited: 'orange',
  approval_requested: 'violet',
  approval_granted: 'green',
  approval_denied: 'red',
  approval_expired: 'red',
  upstream_error: 'yellow',
  shadow_deny: 'yellow',
  outcome: 'gray',
  up: 'green',
  down: 'red',
  starting: 'yellow',
  pending: 'violet',
  approved: 'green',
  denied: 'red',
  expired: 'gray',
};

export function RiskBadge({ risk }: { risk: string }) {
  return (
    <Badge color={RISK_COLOURS[risk] ?? 'gray'} variant="light" aria-label={`risk ${risk}`}>
      {risk}
    </Badge>
  );
}

export function CategoryBadge({ category }: { category: string }) {
  return (
    <Badge color={CATEGORY_COLOURS[category] ?? 'gray'} variant="outline" aria-label={`category ${category}`}>
      {category}
    </Badge>
  );
}

export function OutcomeBadge({ outcome }: { outcome: string }) {
  return (
    <Badge color={DECISION_COLOURS[outcome] ?? 'gray'} variant="filled">
      {outcome.replace(/_/g, ' ')}
    </Badge>
  );
}
