import {
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  List,
  Select,
  SimpleGrid,
  Spoiler,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMemo, useState } from 'react';
import { api, CATEGORIES, RISKS, type ServerInfo, type ToolInfo } from '../api';
import { CategoryBadge, OutcomeBadge, RiskBadge } from '../components/badges';
import { LoadError } from '../components/LoadError';
import { useLoad } from '../lib/hooks';
import { navigate } from '../lib/router';

function ServerCard({ s, selected, onSelect }: { s: ServerInfo; selected: boolean; onSelect: () => void }) {
  return (
    <Card
      withBorder
      padding="sm"
      component="button"
      type="button"
      onClick={onSelect}
      aria-pressed={selected}
      style={{
        textAlign: 'left',
        cursor: 'pointer',
        ...(selected ? { outline: '2px solid var(--mantine-primary-color-filled)' } : {}),
      }}
      data-testid={`server-${s.name}`}
    >
      <Group justify="space-between" wrap="nowrap">
        <Text fw={600}>{s.name}</Text>
        <OutcomeBadge outcome={s.status} />
      </Group>
      <Text size="sm" c="dimmed">
        {s.transport}
        {s.tools !== undefined ? ` · ${s.tools} tools` : ''}
        {s.serverInfo?.name ? ` · ${s.serverInfo.name} ${s.serverInfo.version ?? ''}` : ''}
      </Text>
      {s.status === 'down' && s.reason && (
        <Text size="sm" c="red" className="tg-untrusted">
          {s.reason}
        </Text>
      )}
      <Text size="xs" c="dimmed" mt={4}>
        policy: {s.policy?.source ?? 'none'}
        {s.policy?.mode === 'shadow' ? ' (shadow mode)' : ''}
      </Text>
    </Card>
  );
}

function ToolRow({ t }: { t: ToolInfo }) {
  const c = t.classification;
  return (
    <Table.Tr data-testid={`tool-${t.name}`}>
      <Table.Td>
        {/* Tool names, titles and descriptions are untrusted server text: plain text nodes only. */}
        <Text fw={600} ff="monospace" size="sm" className="tg-untrusted">
          {t.name}
        </Text>
        {t.title && (
          <Text size="xs" c="dimmed" className="tg-untrusted">
            {t.title}
          </Text>
        )}
      </Table.Td>
      <Table.Td maw={420}>
        <Spoiler maxHeight={60} showLabel="more" hideLabel="less">
          <Text size="sm" className="tg-untrusted" data-testid="tool-description">
            {t.description ?? ''}
          </Text>
        </Spoiler>
      </Table.Td>
      <Table.Td style={{ minWidth: 120 }}>
        <Stack gap={4} align="flex-start">
          <CategoryBadge category={c.category} />
          <RiskBadge risk={c.risk} />
          {c.findings.length > 0 && (
            <Badge color="red" variant="light">
              {c.findings.length} finding{c.findings.length === 1 ? '' : 's'}
            </Badge>
          )}
        </Stack>
      </Table.Td>
      <Table.Td maw={320}>
        <Spoiler maxHeight={44} showLabel="more" hideLabel="less">
          <List size="xs" spacing={2}>
            {c.findings.map((f, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: findings have no identity
              <List.Item key={`f${i}`}>
                <Text span size="xs" c="red" className="tg-untrusted">
                  {f.kind}: {f.message} ({f.excerpt})
                </Text>
              </List.Item>
            ))}
            {c.reasons.map((r, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: reasons are plain strings
              <List.Item key={`r${i}`}>
                <Text span size="xs" className="tg-untrusted">
                  {r}
                </Text>
              </List.Item>
            ))}
          </List>
        </Spoiler>
      </Table.Td>
      <Table.Td style={{ minWidth: 120 }}>
        <OutcomeBadge outcome={t.decision.outcome} />
        {t.decision.rule && (
          <Text size="xs" c="dimmed" ff="monospace">
            {t.decision.rule}
          </Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

export function Servers() {
  const servers = useLoad(() => api.servers(), [], 5000);
  const grants = useLoad(() => api.grants(), []);
  const [picked, setPicked] = useState<string | null>(null);
  const [grant, setGrant] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState<string | null>(null);
  const [risk, setRisk] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const server = picked ?? servers.data?.[0]?.name ?? null;
  const tools = useLoad(
    () => (server ? api.tools(server, grant ?? undefined) : Promise.resolve([] as ToolInfo[])),
    [server, grant],
  );

  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return (tools.data ?? []).filter(
      (t) =>
        (!q || `${t.name} ${t.title ?? ''} ${t.description ?? ''}`.toLowerCase().includes(q)) &&
        (!category || t.classification.category === category) &&
        (!risk || t.classification.risk === risk) &&
        (!outcome || t.decision.outcome === outcome),
    );
  }, [tools.data, search, category, risk, outcome]);

  return (
    <Stack>
      <Title order={2}>Servers & tools</Title>
      <LoadError error={servers.error} what="servers" />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
        {(servers.data ?? []).map((s) => (
          <ServerCard key={s.name} s={s} selected={s.name === server} onSelect={() => setPicked(s.name)} />
        ))}
      </SimpleGrid>
      {servers.data && servers.data.length === 0 && (
        <Text c="dimmed">No servers configured. Add one under `servers:` in toolgate.yaml.</Text>
      )}
      {server && (
        <>
          <Group justify="space-between" align="flex-end">
            <Title order={3}>
              Tools of <code>{server}</code>
            </Title>
            <Button
              variant="light"
              component="a"
              href={`/policies/${encodeURIComponent(server)}`}
              onClick={(e: React.MouseEvent) => {
                e.preventDefault();
                navigate(`/policies/${encodeURIComponent(server)}`);
              }}
            >
              Edit policy
            </Button>
          </Group>
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label="Search"
              placeholder="name or description"
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
              w={240}
            />
            <Select
              label="Category"
              data={CATEGORIES}
              value={category}
              onChange={setCategory}
              clearable
              w={160}
            />
            <Select label="Risk" data={RISKS} value={risk} onChange={setRisk} clearable w={130} />
            <Select
              label="Decision"
              data={['allow', 'deny', 'hide', 'approval']}
              value={outcome}
              onChange={setOutcome}
              clearable
              w={140}
            />
            <Select
              label="Decision for grant"
              placeholder="local"
              data={(grants.data ?? []).map((g) => g.name)}
              value={grant}
              onChange={setGrant}
              clearable
              w={180}
            />
          </Group>
          <LoadError error={tools.error} what="tools" />
          <Text size="sm" c="dimmed" aria-live="polite">
            {shown.length} of {tools.data?.length ?? 0} tools
          </Text>
          <Table.ScrollContainer minWidth={900}>
            <Table striped highlightOnHover verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Tool</Table.Th>
                  <Table.Th>Description (from the server)</Table.Th>
                  <Table.Th>Catalogue</Table.Th>
                  <Table.Th>Reasons</Table.Th>
                  <Table.Th>Decision</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {shown.map((t) => (
                  <ToolRow key={t.name} t={t} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Text size="xs" c="dimmed">
            Decisions are for a call with no arguments by the chosen grant. See the{' '}
            <Anchor
              href="/activity"
              onClick={(e) => {
                e.preventDefault();
                navigate('/activity');
              }}
            >
              activity
            </Anchor>{' '}
            page for real calls.
          </Text>
        </>
      )}
    </Stack>
  );
}
