import { AreaChart, BarChart } from '@mantine/charts';
import {
  Badge,
  Button,
  Code,
  Group,
  Paper,
  Progress,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { Fragment, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { AUDIT_DECISIONS, type AuditRecord, api, type StatsBucket } from '../api';
import { OutcomeBadge } from '../components/badges';
import { LoadError } from '../components/LoadError';
import { useDecisionStream } from '../lib/decisions';
import { useLoad } from '../lib/hooks';

const RANGES: Record<string, { seconds: number; bucket: number; label: string }> = {
  '15m': { seconds: 15 * 60, bucket: 30, label: 'last 15 minutes, per 30 seconds' },
  '1h': { seconds: 3600, bucket: 60, label: 'last hour, per minute' },
  '24h': { seconds: 86400, bucket: 1800, label: 'last 24 hours, per 30 minutes' },
};

/** The chart's series, in stacking order: the table below it has one column for each. */
const CALL_SERIES = [
  { name: 'allowed', label: 'Allowed', color: 'green.6' },
  { name: 'denied', label: 'Denied', color: 'red.6' },
  { name: 'rate limited', label: 'Rate limited', color: 'orange.6' },
  { name: 'other', label: 'Other', color: 'gray.6' },
] as const;

type CallPoint = { t: number; time: string } & Record<(typeof CALL_SERIES)[number]['name'], number>;

function fillBuckets(buckets: StatsBucket[], since: number, bucket: number): CallPoint[] {
  const step = bucket * 1000;
  const byT = new Map(buckets.map((b) => [Math.floor(b.t / step) * step, b]));
  const out: CallPoint[] = [];
  for (let t = Math.floor(since / step) * step; t <= Date.now(); t += step) {
    const b = byT.get(t);
    out.push({
      t,
      time: new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
      allowed: b?.allow ?? 0,
      denied: (b?.deny ?? 0) + (b?.hide ?? 0),
      'rate limited': b?.rate_limited ?? 0,
      other: b?.other ?? 0,
    });
  }
  return out;
}

/**
 * Keeps the charts out of the Tab order. Recharts renders its z-index layers as React portals into
 * SVG <g> elements; React puts its focus listeners on every portal container, and Chromium makes
 * an SVG element with focus listeners a tab stop, so Tab used to stop on a nameless, invisible
 * <g> inside each chart. An explicit tabindex="-1" takes those layers out of the sequence.
 */
function useNoTabStopsInCharts() {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const root = ref.current;
    if (!root) return;
    const fix = () => {
      for (const g of root.querySelectorAll('svg.recharts-surface g:not([tabindex])'))
        if (g.getAttribute('class')?.startsWith('recharts-zIndex-layer')) g.setAttribute('tabindex', '-1');
    };
    fix();
    const observer = new MutationObserver(fix);
    observer.observe(root, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, []);
  return ref;
}

const callTotal = (p: CallPoint) => CALL_SERIES.reduce((n, s) => n + p[s.name], 0);

/**
 * The calls chart's text alternative: the same points (one row per time bucket, one column per
 * series, plus each bucket's total and a totals row), for screen readers and for anyone who wants
 * the exact numbers without hovering the chart.
 */
function CallsTable({ data, caption }: { data: CallPoint[]; caption: string }) {
  const totals = CALL_SERIES.map((s) => data.reduce((n, p) => n + p[s.name], 0));
  return (
    <Table captionSide="top" striped verticalSpacing={2} fz="sm" mt="sm">
      <Table.Caption>{caption}</Table.Caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Time</Table.Th>
          <Table.Th scope="col">Calls</Table.Th>
          {CALL_SERIES.map((s) => (
            <Table.Th scope="col" key={s.name}>
              {s.label}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {data.map((p) => (
          <Table.Tr key={p.t}>
            <Table.Th scope="row" fw={400}>
              <time dateTime={new Date(p.t).toISOString()}>{p.time}</time>
            </Table.Th>
            <Table.Td>{callTotal(p)}</Table.Td>
            {CALL_SERIES.map((s) => (
              <Table.Td key={s.name}>{p[s.name]}</Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
      <Table.Tfoot>
        <Table.Tr>
          <Table.Th scope="row">Total</Table.Th>
          <Table.Th>{totals.reduce((a, b) => a + b, 0)}</Table.Th>
          {totals.map((n, i) => (
            <Table.Th key={CALL_SERIES[i]!.name}>{n}</Table.Th>
          ))}
        </Table.Tr>
      </Table.Tfoot>
    </Table>
  );
}

function Charts() {
  const [range, setRange] = useState('1h');
  const r = RANGES[range]!;
  const stats = useLoad(() => api.stats(Date.now() - r.seconds * 1000, r.bucket), [range], 5000);
  const usage = useLoad(() => api.usage(), [], 2000);
  const data = useMemo(
    () => fillBuckets(stats.data?.buckets ?? [], Date.now() - r.seconds * 1000, r.bucket),
    [stats.data, r],
  );
  const counters = (usage.data?.counters ?? []).map((c) => ({
    ...c,
    label: `${c.server}/${c.counter}${c.subject ? ` (${c.scope} ${c.subject})` : ''}`,
  }));
  const charts = useNoTabStopsInCharts();
  const [showTable, setShowTable] = useState(false);
  const tableId = useId();
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }} ref={charts}>
      <Paper withBorder p="md">
        <Group justify="space-between" mb="sm">
          <Text fw={600}>Calls and denials</Text>
          <Group gap="xs">
            <Button
              size="xs"
              variant="default"
              aria-expanded={showTable}
              aria-controls={tableId}
              onClick={() => setShowTable((s) => !s)}
            >
              {showTable ? 'Hide table' : 'Show as table'}
            </Button>
            <Select
              aria-label="Time range"
              size="xs"
              data={Object.keys(RANGES)}
              value={range}
              allowDeselect={false}
              onChange={(v) => v && setRange(v)}
              w={90}
            />
          </Group>
        </Group>
        <LoadError error={stats.error} what="stats" />
        <AreaChart
          h={240}
          data={data}
          dataKey="time"
          type="stacked"
          withLegend
          curveType="monotone"
          series={CALL_SERIES.map(({ name, color }) => ({ name, color }))}
          // Recharts' keyboard layer makes the SVG a nameless tab stop (role="application", and a
          // second stop on an inner <g>) with no visible focus. The chart is a picture of the
          // numbers: one named image, not a stop on the way to the controls below. Its text
          // alternative is the table behind "Show as table" (the same `data`).
          accessibilityLayer={false}
          role="img"
          aria-label="Calls and denials over time"
        />
        <div id={tableId} hidden={!showTable}>
          {showTable && <CallsTable data={data} caption={`Calls and denials, ${r.label}`} />}
        </div>
      </Paper>
      <Paper withBorder p="md" data-testid="usage-panel">
        <Text fw={600} mb="sm">
          Counters against their limits
        </Text>
        <LoadError error={usage.error} what="usage" />
        {counters.length === 0 ? (
          <Text size="sm" c="dimmed">
            No limits in any policy yet. Add one in the policy builder.
          </Text>
        ) : (
          <Stack gap="sm">
            <BarChart
              h={Math.max(120, counters.length * 36 + 40)}
              data={counters.map((c) => ({
                counter: c.label,
                used: c.used,
                limit: Math.max(0, c.max - c.used),
              }))}
              dataKey="counter"
              orientation="vertical"
              type="stacked"
              yAxisProps={{ width: 180 }}
              series={[
                { name: 'used', color: 'blue.6' },
                { name: 'limit', label: 'left', color: 'gray.3' },
              ]}
              // Not a tab stop (see above); each counter is also listed below as text.
              accessibilityLayer={false}
              role="img"
              aria-label="Counter use"
            />
            {counters.map((c) => {
              const pct = c.max > 0 ? Math.min(100, (c.used / c.max) * 100) : 0;
              return (
                <div key={`${c.label}-${c.window}`} data-testid={`usage-${c.server}-${c.counter}`}>
                  <Group justify="space-between" gap="xs">
                    <Text size="sm" ff="monospace">
                      {c.label}
                    </Text>
                    <Text size="sm" data-testid="usage-value">
                      {c.used} / {c.max} per {String(c.window)}
                    </Text>
                  </Group>
                  <Progress
                    value={pct}
                    color={pct >= 100 ? 'red' : pct >= 80 ? 'orange' : 'blue'}
                    aria-label={`${c.label}: ${c.used} of ${c.max}`}
                  />
                </div>
              );
            })}
          </Stack>
        )}
      </Paper>
    </SimpleGrid>
  );
}

function RecordRows({ r }: { r: AuditRecord }) {
  const [open, setOpen] = useState(false);
  return (
    <Fragment>
      <Table.Tr
        tabIndex={0}
        style={{ cursor: 'pointer' }}
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            setOpen((o) => !o);
          }
        }}
        data-testid="audit-row"
      >
        <Table.Td>{new Date(r.ts).toLocaleTimeString()}</Table.Td>
        <Table.Td ff="monospace">{r.grant}</Table.Td>
        <Table.Td ff="monospace" className="tg-untrusted">
          {r.server}/{r.tool ?? r.method}
        </Table.Td>
        <Table.Td>
          <OutcomeBadge outcome={r.decision} />
        </Table.Td>
        <Table.Td>
          <Text size="xs" className="tg-untrusted" lineClamp={open ? undefined : 1}>
            {r.reason ?? ''}
          </Text>
        </Table.Td>
        <Table.Td>{r.latencyMs !== undefined ? `${Math.round(r.latencyMs)} ms` : ''}</Table.Td>
      </Table.Tr>
      {open && (
        <Table.Tr>
          <Table.Td colSpan={6}>
            <Stack gap={4}>
              <Text size="xs">
                #{r.seq} · rule <code>{r.rule ?? '-'}</code> · session <code>{r.session ?? '-'}</code> ·
                upstream {r.upstream ?? '-'}
                {r.approver ? ` · approved by ${r.approver}` : ''}
                {r.note ? ` · note: ${r.note}` : ''}
              </Text>
              <Code block className="tg-untrusted">
                {JSON.stringify(r.args ?? {}, null, 2)}
              </Code>
            </Stack>
          </Table.Td>
        </Table.Tr>
      )}
    </Fragment>
  );
}

function RecordTable({ records, empty }: { records: AuditRecord[]; empty: string }) {
  return (
    <Table.ScrollContainer minWidth={800}>
      <Table striped highlightOnHover verticalSpacing={4}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time</Table.Th>
            <Table.Th>Grant</Table.Th>
            <Table.Th>Server / tool</Table.Th>
            <Table.Th>Decision</Table.Th>
            <Table.Th>Reason</Table.Th>
            <Table.Th>Latency</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {records.map((r) => (
            <RecordRows key={r.seq} r={r} />
          ))}
        </Table.Tbody>
      </Table>
      {records.length === 0 && (
        <Text size="sm" c="dimmed" p="sm">
          {empty}
        </Text>
      )}
    </Table.ScrollContainer>
  );
}

function Live() {
  const [paused, setPaused] = useState(false);
  const [records, setRecords] = useState<AuditRecord[]>([]);
  const onRecord = useCallback((r: AuditRecord) => setRecords((rs) => [r, ...rs].slice(0, 200)), []);
  const state = useDecisionStream(onRecord, !paused);
  return (
    <Stack>
      <Group>
        <Badge color={state === 'open' ? 'green' : state === 'connecting' ? 'yellow' : 'gray'} variant="dot">
          {state === 'open' ? 'live' : state}
        </Badge>
        <Switch label="Pause" checked={paused} onChange={(e) => setPaused(e.currentTarget.checked)} />
        <Button size="xs" variant="subtle" onClick={() => setRecords([])}>
          Clear
        </Button>
      </Group>
      <RecordTable records={records} empty="Waiting for calls…" />
    </Stack>
  );
}

function toEpoch(local: string): number | undefined {
  if (!local) return undefined;
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? undefined : t;
}

function Search() {
  const [form, setForm] = useState({ grant: '', server: '', tool: '', decision: '', since: '', until: '' });
  const [query, setQuery] = useState(form);
  const result = useLoad(
    () =>
      api.audit({
        grant: query.grant,
        server: query.server,
        tool: query.tool,
        decision: query.decision,
        since: toEpoch(query.since),
        until: toEpoch(query.until),
        limit: 200,
      }),
    [query],
  );
  const field = (k: keyof typeof form) => ({
    value: form[k],
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.currentTarget.value }),
  });
  return (
    <Stack>
      <Group
        align="flex-end"
        component="form"
        onSubmit={(e: React.FormEvent) => {
          e.preventDefault();
          setQuery({ ...form });
        }}
        aria-label="Search the audit log"
      >
        <TextInput label="Grant" {...field('grant')} w={150} />
        <TextInput label="Server" {...field('server')} w={150} />
        <TextInput label="Tool" {...field('tool')} w={150} />
        <Select
          label="Outcome"
          data={AUDIT_DECISIONS}
          value={form.decision || null}
          onChange={(v) => setForm({ ...form, decision: v ?? '' })}
          clearable
          w={190}
        />
        <TextInput label="From" type="datetime-local" {...field('since')} w={200} />
        <TextInput label="To" type="datetime-local" {...field('until')} w={200} />
        <Button type="submit">Search</Button>
      </Group>
      <LoadError error={result.error} what="the audit log" />
      <RecordTable records={result.data?.records ?? []} empty="No records match." />
    </Stack>
  );
}

export function Activity() {
  return (
    <Stack>
      <Title order={2}>Activity</Title>
      <Charts />
      <Tabs defaultValue="live" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="live">Live decisions</Tabs.Tab>
          <Tabs.Tab value="audit">Audit log</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="live" pt="md">
          <Live />
        </Tabs.Panel>
        <Tabs.Panel value="audit" pt="md">
          <Search />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
