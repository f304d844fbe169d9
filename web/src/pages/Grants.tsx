import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  MultiSelect,
  Paper,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { api, formatTime, type Grant, toDate } from '../api';
import { LoadError } from '../components/LoadError';
import { useLoad } from '../lib/hooks';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function Copy({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value}>
      {({ copied, copy }) => (
        <Button
          size="xs"
          variant={copied ? 'filled' : 'light'}
          color={copied ? 'teal' : undefined}
          onClick={copy}
        >
          {copied ? 'Copied' : label}
        </Button>
      )}
    </CopyButton>
  );
}

function snippets(origin: string, servers: string[], token: string) {
  const url = servers.length === 1 ? `${origin}/mcp/${servers[0]}` : `${origin}/mcp`;
  const json = JSON.stringify(
    { mcpServers: { toolgate: { type: 'http', url, headers: { Authorization: `Bearer ${token}` } } } },
    null,
    2,
  );
  const vscode = JSON.stringify(
    { servers: { toolgate: { type: 'http', url, headers: { Authorization: `Bearer ${token}` } } } },
    null,
    2,
  );
  const claude = `claude mcp add --transport http toolgate ${url} --header "Authorization: Bearer ${token}"`;
  return { url, json, vscode, claude };
}

function CreatedModal({
  created,
  onClose,
}: {
  created: { grant: Grant; token: string } | null;
  onClose: () => void;
}) {
  if (!created) return null;
  const s = snippets(window.location.origin, created.grant.servers, created.token);
  return (
    <Modal
      opened
      onClose={onClose}
      title={`Grant ${created.grant.name} created`}
      size="lg"
      closeOnClickOutside={false}
    >
      <Stack>
        <Alert color="yellow" title="Copy the token now">
          This is the only time the token is shown. toolgate keeps only its hash; if it is lost, revoke the
          grant and create another.
        </Alert>
        <Group wrap="nowrap" align="center">
          <Code block style={{ flex: 1, overflowWrap: 'anywhere' }} data-testid="grant-token">
            {created.token}
          </Code>
          <Copy value={created.token} label="Copy token" />
        </Group>
        <Text size="sm">Client configuration (the gateway URL in place of the server):</Text>
        <Tabs defaultValue="json">
          <Tabs.List>
            <Tabs.Tab value="json">Claude Desktop / Cursor</Tabs.Tab>
            <Tabs.Tab value="vscode">VS Code</Tabs.Tab>
            <Tabs.Tab value="claude">Claude Code</Tabs.Tab>
          </Tabs.List>
          {(['json', 'vscode', 'claude'] as const).map((k) => (
            <Tabs.Panel key={k} value={k} pt="xs">
              <Stack gap={4}>
                <Code block data-testid={`snippet-${k}`}>
                  {s[k]}
                </Code>
                <Copy value={s[k]} label="Copy snippet" />
              </Stack>
            </Tabs.Panel>
          ))}
        </Tabs>
        <Group justify="flex-end">
          <Button onClick={onClose}>I have copied it</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function CreateForm({
  servers,
  existing,
  onCreated,
}: {
  servers: string[];
  existing: Set<string>;
  onCreated: (c: { grant: Grant; token: string }) => void;
}) {
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [policy, setPolicy] = useState('');
  const [expires, setExpires] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const nameError = !name
    ? undefined
    : !NAME_RE.test(name)
      ? 'letters, digits, _ . - (up to 64), starting with a letter or digit'
      : existing.has(name)
        ? 'a grant with this name exists'
        : undefined;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.createGrant({
        name,
        servers: picked,
        ...(policy.trim() ? { policy: policy.trim() } : {}),
        ...(expires ? { expiresIn: expires } : {}),
      });
      setName('');
      setPicked([]);
      setPolicy('');
      onCreated(created);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="Create a grant">
      <Stack gap="sm">
        <Text fw={600}>New grant</Text>
        <Group align="flex-start" wrap="wrap">
          <TextInput
            label="Name"
            description="the agent it is for"
            value={name}
            onChange={(e) => setName(e.currentTarget.value.trim())}
            error={nameError}
            required
            w={220}
          />
          <MultiSelect
            label="Servers"
            description="which servers it may use"
            data={servers}
            value={picked}
            onChange={setPicked}
            searchable
            placeholder={picked.length ? undefined : 'pick servers'}
            required
            w={280}
          />
          <TextInput
            label="Policy (optional)"
            description="a path overriding the servers' policies"
            value={policy}
            onChange={(e) => setPolicy(e.currentTarget.value)}
            w={240}
          />
          <Select
            label="Expires"
            description="after"
            placeholder="never"
            data={['1d', '7d', '30d', '90d', '365d']}
            value={expires}
            onChange={setExpires}
            clearable
            w={120}
          />
        </Group>
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Button
          type="submit"
          loading={busy}
          disabled={!name || !!nameError || picked.length === 0}
          w="fit-content"
        >
          Create grant
        </Button>
      </Stack>
    </Paper>
  );
}

function status(g: Grant): { label: string; color: string } {
  if (g.revokedAt) return { label: 'revoked', color: 'gray' };
  const exp = toDate(g.expiresAt);
  if (exp && exp.getTime() < Date.now()) return { label: 'expired', color: 'gray' };
  return { label: 'active', color: 'green' };
}

export function Grants() {
  const grants = useLoad(() => api.grants(), []);
  const servers = useLoad(() => api.servers(), []);
  const [created, setCreated] = useState<{ grant: Grant; token: string } | null>(null);
  const [revoking, setRevoking] = useState<Grant | null>(null);
  const [busy, setBusy] = useState(false);

  async function revoke(g: Grant) {
    setBusy(true);
    try {
      await api.revokeGrant(g.name);
      notifications.show({
        color: 'green',
        message: `Grant ${g.name} revoked; its token stops working now.`,
      });
      setRevoking(null);
      await grants.reload();
    } catch (err) {
      notifications.show({ color: 'red', title: 'Revoke failed', message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack>
      <Title order={2}>Grants</Title>
      <Text size="sm" c="dimmed">
        A grant is a bearer token for one agent, bound to servers and a policy.
      </Text>
      <CreateForm
        servers={(servers.data ?? []).map((s) => s.name)}
        existing={new Set((grants.data ?? []).map((g) => g.name))}
        onCreated={(c) => {
          setCreated(c);
          void grants.reload();
        }}
      />
      <LoadError error={grants.error} what="grants" />
      <Table.ScrollContainer minWidth={700}>
        <Table striped verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Servers</Table.Th>
              <Table.Th>Policy</Table.Th>
              <Table.Th>Source</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(grants.data ?? []).map((g) => {
              const st = status(g);
              return (
                <Table.Tr key={g.name} data-testid={`grant-${g.name}`}>
                  <Table.Td ff="monospace">{g.name}</Table.Td>
                  <Table.Td>{g.servers.join(', ')}</Table.Td>
                  <Table.Td ff="monospace">
                    {g.policy ?? ''}
                    {g.policyState && g.policyState.state !== 'in_sync' && (
                      // A grant whose policy does not load: every call denied, or the last good one kept.
                      <Badge
                        ml="xs"
                        color={g.policyState.enforced ? 'orange' : 'red'}
                        variant="light"
                        title={g.policyState.error?.message}
                      >
                        {g.policyState.enforced
                          ? `file ${g.policyState.state}; last good version enforced`
                          : 'policy does not load; all calls denied'}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{g.source === 'config' ? 'toolgate.yaml' : 'dashboard / CLI'}</Table.Td>
                  <Table.Td>{formatTime(g.createdAt)}</Table.Td>
                  <Table.Td>{formatTime(g.expiresAt) || 'never'}</Table.Td>
                  <Table.Td>
                    <Badge color={st.color} variant="light">
                      {st.label}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {g.source === 'config' ? (
                      <Tooltip label="Defined in toolgate.yaml: remove it there">
                        <Button size="xs" variant="subtle" color="red" disabled data-disabled>
                          Revoke
                        </Button>
                      </Tooltip>
                    ) : (
                      !g.revokedAt && (
                        <Button size="xs" variant="subtle" color="red" onClick={() => setRevoking(g)}>
                          Revoke
                        </Button>
                      )
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <CreatedModal created={created} onClose={() => setCreated(null)} />
      <Modal opened={revoking !== null} onClose={() => setRevoking(null)} title="Revoke grant">
        <Stack>
          <Text size="sm">
            Revoke <code>{revoking?.name}</code>? Agents using its token are refused from their next request.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>
              Cancel
            </Button>
            <Button color="red" loading={busy} onClick={() => revoking && void revoke(revoking)}>
              Revoke
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
