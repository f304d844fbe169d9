// Forms for one tool entry (Custom): require / deny_if conditions, limits and approval. Each field
// checks its input as it is typed and names what is wrong; the builder refuses to save while any
// field is invalid, and the server validates the whole document again.
import {
  ActionIcon,
  Autocomplete,
  Button,
  Code,
  Fieldset,
  Group,
  NumberInput,
  Paper,
  Select,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import {
  type ApprovalRule,
  type Condition,
  conditionError,
  durationError,
  isSimple,
  kindOf,
  type Limit,
  limitErrors,
  OPS,
  type Op,
  pathError,
  SCOPES,
  type Scope,
  type SimpleCondition,
  type ToolRule,
  type ValueKind,
  valueKinds,
} from '../lib/policy-model';

function defaultValue(kind: ValueKind): unknown {
  switch (kind) {
    case 'number':
      return 0;
    case 'boolean':
      return true;
    case 'list':
      return [];
    default:
      return '';
  }
}

function ValueInput({
  c,
  onChange,
  label,
}: {
  c: SimpleCondition;
  onChange: (c: SimpleCondition) => void;
  label: string;
}) {
  const kinds = valueKinds(c.op);
  if (kinds.length === 0) return null;
  const kind = kinds.includes(kindOf(c.value)) ? kindOf(c.value) : kinds[0]!;
  const set = (value: unknown) => onChange({ ...c, value });
  return (
    <Group gap={4} align="flex-end" wrap="nowrap">
      {kinds.length > 1 && (
        <Select
          label="Type"
          aria-label={`${label} value type`}
          data={kinds}
          value={kind}
          allowDeselect={false}
          onChange={(k) => k && set(defaultValue(k as ValueKind))}
          w={100}
        />
      )}
      {kind === 'number' && (
        <NumberInput
          label="Value"
          aria-label={`${label} value`}
          value={typeof c.value === 'number' ? c.value : ''}
          onChange={(v) => set(typeof v === 'number' ? v : undefined)}
          w={140}
        />
      )}
      {kind === 'string' && (
        <TextInput
          label="Value"
          aria-label={`${label} value`}
          value={typeof c.value === 'string' ? c.value : ''}
          onChange={(e) => set(e.currentTarget.value)}
          w={200}
        />
      )}
      {kind === 'boolean' && (
        <Select
          label="Value"
          aria-label={`${label} value`}
          data={['true', 'false']}
          value={String(c.value === true)}
          allowDeselect={false}
          onChange={(v) => set(v === 'true')}
          w={100}
        />
      )}
      {kind === 'list' && (
        <TagsInput
          label="Values (Enter after each)"
          aria-label={`${label} values`}
          value={Array.isArray(c.value) ? c.value.map(String) : []}
          onChange={(v) => set(v)}
          w={260}
        />
      )}
      {c.op === 'regex' && (
        <TextInput
          label="Flags"
          aria-label={`${label} regex flags`}
          value={c.flags ?? ''}
          onChange={(e) => {
            const flags = e.currentTarget.value;
            const { flags: _f, ...rest } = c;
            onChange(flags ? { ...rest, flags } : rest);
          }}
          w={70}
        />
      )}
    </Group>
  );
}

function ConditionRow({
  c,
  label,
  onChange,
  onRemove,
}: {
  c: Condition;
  label: string;
  onChange: (c: Condition) => void;
  onRemove: () => void;
}) {
  if (!isSimple(c))
    return (
      <Group align="flex-start" wrap="nowrap">
        <Stack gap={2} style={{ flex: 1 }}>
          <Text size="xs" c="dimmed">
            A combinator (all / any / not): edit it in the Raw tab.
          </Text>
          <Code block>{JSON.stringify(c, null, 2)}</Code>
        </Stack>
        <ActionIcon variant="subtle" color="red" aria-label={`Remove ${label}`} onClick={onRemove}>
          ✕
        </ActionIcon>
      </Group>
    );
  const err = conditionError(c);
  const pErr = pathError(c.path);
  return (
    <Paper withBorder p="xs">
      <Group align="flex-end" gap="xs" wrap="wrap">
        <TextInput
          label="Path"
          aria-label={`${label} path`}
          placeholder="args.amount"
          value={c.path}
          error={pErr}
          onChange={(e) => onChange({ ...c, path: e.currentTarget.value.trim() })}
          w={200}
        />
        <Select
          label="Operator"
          aria-label={`${label} operator`}
          data={[...OPS]}
          value={c.op}
          allowDeselect={false}
          searchable
          onChange={(op) => {
            if (!op) return;
            const kinds = valueKinds(op as Op);
            const { value, flags: _f, ...rest } = c;
            const next: SimpleCondition = { ...rest, op: op as Op };
            if (kinds.length) next.value = kinds.includes(kindOf(value)) ? value : defaultValue(kinds[0]!);
            onChange(next);
          }}
          w={140}
        />
        <ValueInput c={c} onChange={onChange} label={label} />
        <TextInput
          label="Reason (what the agent reads)"
          aria-label={`${label} reason`}
          value={c.reason ?? ''}
          onChange={(e) => {
            const reason = e.currentTarget.value;
            const { reason: _r, ...rest } = c;
            onChange(reason ? { ...rest, reason } : rest);
          }}
          style={{ flex: 1, minWidth: 200 }}
        />
        <ActionIcon variant="subtle" color="red" aria-label={`Remove ${label}`} onClick={onRemove} mb={6}>
          ✕
        </ActionIcon>
      </Group>
      {err && !pErr && (
        <Text size="xs" c="red" mt={4} role="alert">
          {err}
        </Text>
      )}
    </Paper>
  );
}

function ConditionList({
  title,
  help,
  items,
  onChange,
}: {
  title: string;
  help: string;
  items: Condition[];
  onChange: (items: Condition[]) => void;
}) {
  return (
    <Fieldset legend={title}>
      <Text size="xs" c="dimmed" mb="xs">
        {help}
      </Text>
      <Stack gap="xs">
        {items.map((c, i) => (
          <ConditionRow
            // biome-ignore lint/suspicious/noArrayIndexKey: conditions are positional (rule paths use the index)
            key={i}
            c={c}
            label={`${title} ${i + 1}`}
            onChange={(next) => onChange(items.map((x, j) => (j === i ? next : x)))}
            onRemove={() => onChange(items.filter((_, j) => j !== i))}
          />
        ))}
        <Button
          variant="light"
          size="xs"
          w="fit-content"
          onClick={() => onChange([...items, { path: 'args.', op: 'exists' } as SimpleCondition])}
        >
          Add condition
        </Button>
      </Stack>
    </Fieldset>
  );
}

const WINDOWS = ['second', 'minute', 'hour', 'day'];

function LimitRow({
  l,
  label,
  onChange,
  onRemove,
}: {
  l: Limit;
  label: string;
  onChange: (l: Limit) => void;
  onRemove: () => void;
}) {
  const e = limitErrors(l);
  return (
    <Paper withBorder p="xs">
      <Group align="flex-start" gap="xs" wrap="wrap">
        <TextInput
          label="Counter"
          aria-label={`${label} counter`}
          value={l.counter}
          error={e.counter}
          onChange={(ev) => onChange({ ...l, counter: ev.currentTarget.value.trim() })}
          w={180}
        />
        <NumberInput
          label="Max"
          aria-label={`${label} max`}
          min={0}
          value={l.max}
          error={e.max}
          onChange={(v) => onChange({ ...l, max: typeof v === 'number' ? v : 0 })}
          w={110}
        />
        <Autocomplete
          label="Per window"
          aria-label={`${label} window`}
          placeholder="minute, 15m, 90"
          data={WINDOWS}
          value={String(l.window)}
          error={e.window}
          onChange={(w) => onChange({ ...l, window: /^\d+$/.test(w.trim()) ? Number(w.trim()) : w.trim() })}
          w={140}
        />
        <Select
          label="Scope"
          aria-label={`${label} scope`}
          data={[...SCOPES]}
          value={l.scope ?? 'grant'}
          allowDeselect={false}
          onChange={(s) => s && onChange({ ...l, scope: s as Scope })}
          w={110}
        />
        <TextInput
          label="Sum of (optional)"
          aria-label={`${label} sum path`}
          placeholder="args.amount"
          value={l.sum ?? ''}
          error={e.sum}
          onChange={(ev) => {
            const sum = ev.currentTarget.value.trim();
            const { sum: _s, ...rest } = l;
            onChange(sum ? { ...rest, sum } : rest);
          }}
          w={150}
        />
        <ActionIcon variant="subtle" color="red" aria-label={`Remove ${label}`} onClick={onRemove} mt={28}>
          ✕
        </ActionIcon>
      </Group>
    </Paper>
  );
}

export function LimitList({
  items,
  onChange,
  defaultCounter,
  title = 'Limits',
}: {
  items: Limit[];
  onChange: (items: Limit[]) => void;
  defaultCounter: string;
  title?: string;
}) {
  return (
    <Fieldset legend={title}>
      <Text size="xs" c="dimmed" mb="xs">
        Counters the call consumes when it is otherwise allowed. Limits naming the same counter share one
        count.
      </Text>
      <Stack gap="xs">
        {items.map((l, i) => (
          <LimitRow
            // biome-ignore lint/suspicious/noArrayIndexKey: limits are positional
            key={i}
            l={l}
            label={`${title} ${i + 1}`}
            onChange={(next) => onChange(items.map((x, j) => (j === i ? next : x)))}
            onRemove={() => onChange(items.filter((_, j) => j !== i))}
          />
        ))}
        <Button
          variant="light"
          size="xs"
          w="fit-content"
          onClick={() =>
            onChange([
              ...items,
              {
                counter: `${defaultCounter.replace(/[^A-Za-z0-9_.:-]/g, '_')}_rate`,
                window: 'minute',
                max: 30,
                scope: 'grant',
              },
            ])
          }
        >
          Add limit
        </Button>
      </Stack>
    </Fieldset>
  );
}

function ApprovalEditor({
  a,
  onChange,
}: {
  a: ApprovalRule | undefined;
  onChange: (a: ApprovalRule | undefined) => void;
}) {
  return (
    <Fieldset legend="Approval">
      <Switch
        label="Ask a person before the call goes upstream"
        checked={a !== undefined}
        onChange={(e) => onChange(e.currentTarget.checked ? {} : undefined)}
      />
      {a && (
        <Stack gap="xs" mt="xs">
          <Group align="flex-start">
            <TextInput
              label="Timeout"
              placeholder="10m"
              value={a.timeout === undefined ? '' : String(a.timeout)}
              error={durationError(a.timeout)}
              onChange={(e) => {
                const v = e.currentTarget.value.trim();
                const { timeout: _t, ...rest } = a;
                onChange(v ? { ...rest, timeout: /^\d+$/.test(v) ? Number(v) : v } : rest);
              }}
              w={120}
            />
            <Select
              label="Mode"
              data={[
                { value: 'hold', label: 'hold (call waits)' },
                { value: 'retry', label: 'retry (agent calls again)' },
              ]}
              value={a.mode ?? 'hold'}
              allowDeselect={false}
              onChange={(m) => m && onChange({ ...a, mode: m as 'hold' | 'retry' })}
              w={220}
            />
            <TextInput
              label="Reason"
              value={a.reason ?? ''}
              onChange={(e) => {
                const reason = e.currentTarget.value;
                const { reason: _r, ...rest } = a;
                onChange(reason ? { ...rest, reason } : rest);
              }}
              style={{ flex: 1 }}
            />
          </Group>
          <ConditionList
            title="Only when"
            help="Empty: every call needs approval. Otherwise any condition that holds asks for approval."
            items={a.if ?? []}
            onChange={(items) => {
              const { if: _i, ...rest } = a;
              onChange(items.length ? { ...rest, if: items } : rest);
            }}
          />
        </Stack>
      )}
    </Fieldset>
  );
}

export function RuleEditor({
  tool,
  rule,
  onChange,
}: {
  tool: string;
  rule: ToolRule;
  onChange: (r: ToolRule) => void;
}) {
  const set = (key: keyof ToolRule, value: unknown) => {
    const next: ToolRule = { ...rule };
    if (value === undefined || (Array.isArray(value) && value.length === 0)) delete next[key];
    else next[key] = value;
    onChange(next);
  };
  return (
    <Stack gap="sm" data-testid={`rule-editor-${tool}`}>
      <ConditionList
        title="Require"
        help="All must hold, else the call is denied (the first that fails gives the reason)."
        items={rule.require ?? []}
        onChange={(v) => set('require', v)}
      />
      <ConditionList
        title="Deny if"
        help="The first condition that holds denies the call."
        items={rule.deny_if ?? []}
        onChange={(v) => set('deny_if', v)}
      />
      <LimitList items={rule.limits ?? []} onChange={(v) => set('limits', v)} defaultCounter={tool} />
      <ApprovalEditor a={rule.approval} onChange={(v) => set('approval', v)} />
    </Stack>
  );
}
