import {
  Alert,
  Badge,
  Button,
  Collapse,
  Group,
  List,
  Modal,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, api, type PolicyFile, type PolicyIssue, type ToolInfo } from '../api';
import { CategoryBadge, OutcomeBadge, RiskBadge } from '../components/badges';
import { CodeEditor, DiffView } from '../components/CodeEditor';
import { LoadError } from '../components/LoadError';
import { LimitList, RuleEditor } from '../components/RuleEditor';
import { TestCall } from '../components/TestCall';
import { changeCount, diffLines } from '../lib/diff';
import { useLoad } from '../lib/hooks';
import {
  canonicalRule,
  governingKey,
  hiddenBy,
  limitErrors,
  type PolicyDoc,
  parseDoc,
  ruleValid,
  serializeDoc,
  setToolMode,
  setToolRule,
  type ToolMode,
  type ToolRule,
  toolMode,
} from '../lib/policy-model';
import { navigate } from '../lib/router';
import { PolicyFileBanner } from './PolicyFileBanner';

const MODES: { value: ToolMode; label: string }[] = [
  { value: 'default', label: 'Default' },
  { value: 'allow', label: 'Allow' },
  { value: 'deny', label: 'Deny' },
  { value: 'hide', label: 'Hide' },
  { value: 'approval', label: 'Approval' },
  { value: 'custom', label: 'Custom' },
];

function ToolPolicyRow({
  tool,
  doc,
  onDoc,
}: {
  tool: ToolInfo;
  doc: PolicyDoc;
  onDoc: (d: PolicyDoc) => void;
}) {
  const entryMode = toolMode(doc, tool.name);
  // "Custom" on a plain entry ({}) stays Custom while the person edits it, though it means Allow.
  const [wantsCustom, setWantsCustom] = useState(false);
  const mode: ToolMode = wantsCustom && entryMode === 'allow' ? 'custom' : entryMode;
  const [open, setOpen] = useState(mode === 'custom');
  const rule = doc.tools?.[tool.name];
  const glob = mode === 'default' ? governingKey(doc, tool.name) : undefined;
  const hidGlob = mode !== 'hide' ? hiddenBy(doc, tool.name) : undefined;
  const invalid = mode === 'custom' && rule !== undefined && !ruleValid(canonicalRule(rule, tool.name));
  const c = tool.classification;
  return (
    <>
      <Table.Tr data-testid={`policy-row-${tool.name}`}>
        <Table.Td>
          <Text ff="monospace" size="sm" fw={600} className="tg-untrusted">
            {tool.name}
          </Text>
          <Group gap={4} mt={2}>
            <CategoryBadge category={c.category} />
            <RiskBadge risk={c.risk} />
          </Group>
        </Table.Td>
        <Table.Td>
          <SegmentedControl
            size="xs"
            aria-label={`Rule for ${tool.name}`}
            value={mode}
            data={MODES}
            onChange={(m) => {
              onDoc(setToolMode(doc, tool.name, m as ToolMode));
              setWantsCustom(m === 'custom');
              setOpen(m === 'custom');
            }}
          />
          {mode === 'default' && (
            <Text size="xs" c="dimmed" mt={2}>
              {hidGlob
                ? `hidden by "${hidGlob}"`
                : glob
                  ? `governed by "${glob}"`
                  : `no entry: default ${doc.default ?? 'deny'}`}
            </Text>
          )}
          {mode === 'deny' && (
            <TextInput
              mt={4}
              size="xs"
              aria-label={`Deny reason for ${tool.name}`}
              placeholder="Reason the agent reads (optional)"
              value={(rule?.reason as string | undefined) ?? ''}
              onChange={(e) => {
                const reason = e.currentTarget.value;
                onDoc(setToolRule(doc, tool.name, reason ? { deny: true, reason } : { deny: true }));
              }}
            />
          )}
          {invalid && (
            <Text size="xs" c="red" role="alert">
              Fix the highlighted fields below.
            </Text>
          )}
        </Table.Td>
        <Table.Td>
          <Group gap={4} wrap="nowrap">
            {mode === 'custom' && (
              <Button size="xs" variant="subtle" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
                {open ? 'Close' : 'Edit'}
              </Button>
            )}
            <Button
              size="xs"
              variant="subtle"
              title={JSON.stringify(c.recommended)}
              onClick={() => {
                const rec = c.recommended as ToolRule;
                const next =
                  c.risk === 'Critical' && rec.deny
                    ? setToolMode(doc, tool.name, 'hide')
                    : setToolRule(setToolMode(doc, tool.name, 'allow'), tool.name, rec);
                onDoc(next);
                setOpen(toolMode(next, tool.name) === 'custom');
              }}
            >
              Recommended
            </Button>
          </Group>
        </Table.Td>
        <Table.Td>
          <OutcomeBadge outcome={tool.decision.outcome} />
        </Table.Td>
      </Table.Tr>
      {mode === 'custom' && rule !== undefined && (
        <Table.Tr>
          <Table.Td colSpan={4} p={0} style={{ borderTop: 0 }}>
            <Collapse expanded={open}>
              <Paper p="sm" m="xs" withBorder>
                {c.why && (
                  <Text size="xs" c="dimmed" mb="xs">
                    {c.why}
                  </Text>
                )}
                <RuleEditor
                  tool={tool.name}
                  rule={canonicalRule(rule, tool.name)}
                  onChange={(r) => onDoc(setToolRule(doc, tool.name, r))}
                />
              </Paper>
            </Collapse>
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}

function Builder({
  doc,
  onDoc,
  tools,
}: {
  doc: PolicyDoc;
  onDoc: (d: PolicyDoc) => void;
  tools: ToolInfo[];
}) {
  const listed = new Set(tools.map((t) => t.name));
  const otherKeys = Object.keys(doc.tools ?? {}).filter((k) => !listed.has(k));
  const [filter, setFilter] = useState('');
  const shown = tools.filter((t) => !filter || t.name.toLowerCase().includes(filter.toLowerCase()));
  const allLimits = doc.all_tools?.limits ?? [];
  return (
    <Stack>
      <Group align="flex-end">
        <Select
          label="Tools not listed below"
          data={[
            { value: 'deny', label: 'deny (default)' },
            { value: 'allow', label: 'allow' },
          ]}
          value={doc.default ?? 'deny'}
          allowDeselect={false}
          onChange={(v) => v && onDoc({ ...doc, default: v as 'allow' | 'deny' })}
          w={180}
        />
        <Select
          label="Mode"
          data={[
            { value: 'enforce', label: 'enforce' },
            { value: 'shadow', label: 'shadow (record, do not block)' },
          ]}
          value={doc.mode ?? 'enforce'}
          allowDeselect={false}
          onChange={(v) => {
            if (!v) return;
            const { mode: _m, ...rest } = doc;
            onDoc(v === 'enforce' ? (rest as PolicyDoc) : ({ ...rest, mode: 'shadow' } as PolicyDoc));
          }}
          w={260}
        />
        <TextInput
          label="Filter tools"
          value={filter}
          onChange={(e) => setFilter(e.currentTarget.value)}
          w={220}
        />
      </Group>
      <LimitList
        title="Limits on every tool"
        items={allLimits}
        defaultCounter="all"
        onChange={(items) => {
          const next = structuredClone(doc);
          if (items.length) next.all_tools = { ...(next.all_tools ?? {}), limits: items };
          else delete next.all_tools;
          onDoc(next);
        }}
      />
      <Table.ScrollContainer minWidth={800}>
        <Table verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Tool</Table.Th>
              <Table.Th>Rule</Table.Th>
              <Table.Th />
              <Table.Th>Saved decision</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((t) => (
              <ToolPolicyRow key={t.name} tool={t} doc={doc} onDoc={onDoc} />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {otherKeys.length > 0 && (
        <Text size="sm" c="dimmed">
          Other entries (globs, or tools the server does not list now): {otherKeys.join(', ')}. Edit them in
          the Raw tab.
        </Text>
      )}
    </Stack>
  );
}

function docValid(doc: PolicyDoc): boolean {
  const rulesOk = Object.entries(doc.tools ?? {}).every(([k, r]) => ruleValid(canonicalRule(r, k)));
  const limitsOk = (doc.all_tools?.limits ?? []).every((l) => Object.keys(limitErrors(l)).length === 0);
  return rulesOk && limitsOk;
}

function Editor({
  server,
  policy,
  reload,
  onSaved,
}: {
  server: string;
  policy: PolicyFile;
  reload: () => Promise<void>;
  onSaved: () => void;
}) {
  const [text, setText] = useState(policy.text);
  const [issues, setIssues] = useState<PolicyIssue[]>([]);
  const [checking, setChecking] = useState(false);
  const [reviewing, setReviewing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [tab, setTab] = useState<string | null>('builder');
  const format = policy.format;
  const tools = useLoad(() => api.tools(server), [server, policy.text]);
  const grants = useLoad(() => api.grants(), []);
  const parsed = useMemo(() => parseDoc(text, format), [text, format]);
  const dirty = text !== policy.text;

  // Validate as you type with the CLI's validator (debounced).
  useEffect(() => {
    let stale = false;
    setChecking(true);
    const t = window.setTimeout(() => {
      api
        .validate(text, format)
        .then((r) => !stale && setIssues(r.issues ?? []))
        .catch((err: Error) => !stale && setIssues([{ line: 0, column: 0, path: '', message: err.message }]))
        .finally(() => !stale && setChecking(false));
    }, 300);
    return () => {
      stale = true;
      window.clearTimeout(t);
    };
  }, [text, format]);

  const badLines = useMemo(() => new Set(issues.map((i) => i.line).filter((l) => l > 0)), [issues]);
  const formsOk = parsed.doc ? docValid(parsed.doc) : false;
  const canSave = dirty && policy.writable && issues.length === 0 && !checking && formsOk;
  const diff = useMemo(() => (reviewing ? diffLines(policy.text, text) : []), [reviewing, policy.text, text]);
  const counts = changeCount(diff);

  async function save() {
    setSaving(true);
    setSaveError(null);
    try {
      await api.savePolicy(server, text, format);
      setReviewing(false);
      notifications.show({
        color: 'green',
        title: 'Policy saved',
        message: `${server}: applied to new calls now`,
      });
      await reload();
      onSaved();
    } catch (err) {
      if (err instanceof ApiError && (err.body as { issues?: PolicyIssue[] })?.issues)
        setIssues((err.body as { issues: PolicyIssue[] }).issues);
      setSaveError((err as Error).message);
    } finally {
      setSaving(false);
    }
  }

  const issueList = issues.length > 0 && (
    <Alert color="red" title={`${issues.length} problem${issues.length === 1 ? '' : 's'}`} role="alert">
      <List size="sm" spacing={2}>
        {issues.map((i) => (
          <List.Item key={`${i.line}:${i.column}:${i.path}:${i.message}`}>
            {i.line > 0 ? `line ${i.line}:${i.column} ` : ''}
            {i.path ? <code>{i.path}</code> : null} {i.message}
          </List.Item>
        ))}
      </List>
    </Alert>
  );

  return (
    <Stack>
      <Group justify="space-between">
        <Group gap="xs">
          <Badge variant="outline">{format.toUpperCase()}</Badge>
          <Text size="sm" c="dimmed" ff="monospace">
            {policy.source}
          </Text>
          {dirty && <Badge color="orange">unsaved changes</Badge>}
          {checking ? (
            <Text size="xs" c="dimmed">
              checking…
            </Text>
          ) : issues.length === 0 ? (
            <Badge color="green" variant="light">
              valid
            </Badge>
          ) : null}
        </Group>
        <Group gap="xs">
          <Button variant="default" disabled={!dirty} onClick={() => setText(policy.text)}>
            Discard
          </Button>
          <Button disabled={!canSave} onClick={() => setReviewing(true)}>
            Review & save
          </Button>
        </Group>
      </Group>
      {!policy.writable && (
        <Alert color="yellow">
          This policy is written inline in toolgate.yaml, so the dashboard cannot save it. Move it to a file
          (`policy: ./policies/{server}.yaml`) to edit it here.
        </Alert>
      )}
      {format === 'yaml' && dirty && tab === 'builder' && (
        <Text size="xs" c="dimmed">
          The visual builder rewrites the YAML; comments are kept only when you edit in the Raw tab.
        </Text>
      )}
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="builder">Builder</Tabs.Tab>
          <Tabs.Tab value="raw">Raw {format.toUpperCase()}</Tabs.Tab>
          <Tabs.Tab value="test">Test a call</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="builder" pt="md">
          {parsed.error || !parsed.doc ? (
            <Alert color="red" title="The raw text does not parse">
              {parsed.error} Fix it in the Raw tab to use the builder.
            </Alert>
          ) : (
            <Stack>
              {issueList}
              <LoadError error={tools.error} what="tools" />
              <Builder
                doc={parsed.doc}
                onDoc={(d) => setText(serializeDoc(d, format))}
                tools={tools.data ?? []}
              />
            </Stack>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="raw" pt="md">
          <Stack>
            <CodeEditor
              value={text}
              onChange={setText}
              badLines={badLines}
              label={`Policy for ${server} (${format})`}
            />
            {issueList}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="test" pt="md">
          <TestCall
            server={server}
            tools={(tools.data ?? []).map((t) => t.name)}
            grants={(grants.data ?? []).map((g) => g.name)}
            dirty={dirty}
          />
        </Tabs.Panel>
      </Tabs>
      <Modal opened={reviewing} onClose={() => setReviewing(false)} title="Review changes" size="xl">
        <Stack>
          <Text size="sm">
            {counts.added} line{counts.added === 1 ? '' : 's'} added, {counts.removed} removed in{' '}
            <code>{policy.source}</code>. Saving applies the policy at once; connected agents are told their
            tool list changed.
          </Text>
          <DiffView lines={diff} />
          {saveError && (
            <Alert color="red" role="alert">
              {saveError}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setReviewing(false)}>
              Back
            </Button>
            <Button onClick={() => void save()} loading={saving} data-autofocus>
              Save and apply
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

export function PolicyBuilder({ server }: { server: string | undefined }) {
  const servers = useLoad(() => api.servers(), []);
  const current = server ?? servers.data?.[0]?.name;
  const policy = useLoad(() => (current ? api.policy(current) : Promise.resolve(undefined)), [current]);
  const heading = useRef<HTMLHeadingElement>(null);
  // A save re-creates the editor (see the key below), so the "Review & save" button the dialog
  // would return focus to is gone and focus would fall to <body>, back at the top of the page.
  // Put it on the page heading instead: the next Tab goes on into the server picker and builder.
  const focusAfterSave = () =>
    window.setTimeout(() => {
      const active = document.activeElement;
      if (!active || active === document.body || !active.isConnected) heading.current?.focus();
    }, 50);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2} ref={heading} tabIndex={-1}>
          Policy
        </Title>
        <Select
          aria-label="Server"
          data={(servers.data ?? []).map((s) => s.name)}
          value={current ?? null}
          allowDeselect={false}
          onChange={(v) => v && navigate(`/policies/${encodeURIComponent(v)}`)}
          w={220}
        />
      </Group>
      <LoadError error={servers.error} what="servers" />
      <LoadError error={policy.error} what="the policy" />
      {current && policy.data && policy.data.server === current && (
        <PolicyFileBanner file={policy.data.file} source={policy.data.source} />
      )}
      {current && policy.data && policy.data.server === current && (
        // Keyed by the saved text: after a save (or a switch of server) the draft starts fresh.
        <Editor
          key={`${current}:${policy.data.text}`}
          server={current}
          policy={policy.data}
          reload={policy.reload}
          onSaved={focusAfterSave}
        />
      )}
    </Stack>
  );
}
