import { Badge, Button, Card, Code, Group, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { type Approval, api, formatTime, toDate } from '../api';
import { OutcomeBadge } from '../components/badges';
import { LoadError } from '../components/LoadError';
import { useDecisionStream } from '../lib/decisions';
import { useLoad } from '../lib/hooks';

function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}

function left(expires: number | string, now: number): string {
  const d = toDate(expires);
  if (!d) return '';
  const s = Math.max(0, Math.round((d.getTime() - now) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s left` : `${s}s left`;
}

function ApprovalCard({ a, now, onDone }: { a: Approval; now: number; onDone: () => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<'approve' | 'deny' | null>(null);
  async function decide(kind: 'approve' | 'deny') {
    setBusy(kind);
    try {
      await (kind === 'approve' ? api.approve(a.id, note || undefined) : api.deny(a.id, note || undefined));
      notifications.show({
        color: kind === 'approve' ? 'green' : 'red',
        message: `${a.server}/${a.tool}: ${kind === 'approve' ? 'approved' : 'denied'}`,
      });
      onDone();
    } catch (err) {
      notifications.show({ color: 'red', title: `Could not ${kind}`, message: (err as Error).message });
      onDone();
    } finally {
      setBusy(null);
    }
  }
  return (
    <Card
      withBorder
      data-testid={`approval-${a.id}`}
      aria-label={`Approval for ${a.tool}`}
      component="section"
    >
      <Group justify="space-between">
        <Text fw={600} ff="monospace" className="tg-untrusted">
          {a.server} / {a.tool}
        </Text>
        <Badge color="violet" variant="light">
          {left(a.expiresAt, now)}
        </Badge>
      </Group>
      <Text size="sm" c="dimmed">
        grant <code>{a.grant}</code> · asked {formatTime(a.createdAt)}
        {a.mode ? ` · ${a.mode}` : ''}
      </Text>
      <Text size="xs" mt="xs">
        Arguments (secrets redacted)
      </Text>
      <Code block className="tg-untrusted" mah={220} style={{ overflow: 'auto' }}>
        {JSON.stringify(a.args ?? {}, null, 2)}
      </Code>
      <TextInput
        mt="xs"
        label="Note (kept in the audit log)"
        value={note}
        onChange={(e) => setNote(e.currentTarget.value)}
      />
      <Group mt="sm">
        <Button
          color="green"
          loading={busy === 'approve'}
          disabled={busy !== null}
          onClick={() => void decide('approve')}
        >
          Approve
        </Button>
        <Button
          color="red"
          variant="light"
          loading={busy === 'deny'}
          disabled={busy !== null}
          onClick={() => void decide('deny')}
        >
          Deny
        </Button>
      </Group>
    </Card>
  );
}

export function Approvals() {
  // Polls every 2 s, and at once when the decision stream reports a new request.
  const pending = useLoad(() => api.approvals('pending'), [], 2000);
  const recent = useLoad(() => api.approvals(), [], 5000);
  const now = useNow(1000);
  useDecisionStream((r) => {
    if (r.decision.startsWith('approval_')) {
      void pending.reload();
      void recent.reload();
    }
  });
  const list = pending.data?.approvals ?? [];
  const decided = (recent.data?.approvals ?? []).filter((a) => a.status !== 'pending').slice(0, 20);
  const refresh = () => {
    void pending.reload();
    void recent.reload();
  };
  return (
    <Stack>
      <Title order={2}>Approvals</Title>
      <LoadError error={pending.error} what="approvals" />
      <Text size="sm" c="dimmed" aria-live="polite">
        {list.length === 0
          ? 'Nothing is waiting for a person.'
          : `${list.length} call${list.length === 1 ? '' : 's'} waiting`}
      </Text>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {list.map((a) => (
          <ApprovalCard key={a.id} a={a} now={now} onDone={refresh} />
        ))}
      </SimpleGrid>
      {decided.length > 0 && (
        <>
          <Title order={4} mt="md">
            Recently decided
          </Title>
          <Stack gap={4}>
            {decided.map((a) => (
              <Group key={a.id} gap="xs">
                <OutcomeBadge outcome={a.status} />
                <Text size="sm" ff="monospace" className="tg-untrusted">
                  {a.server}/{a.tool}
                </Text>
                <Text size="sm" c="dimmed">
                  grant {a.grant}
                  {a.decidedBy ? ` · by ${a.decidedBy}` : ''}
                  {a.note ? ` · “${a.note}”` : ''}
                </Text>
              </Group>
            ))}
          </Stack>
        </>
      )}
    </Stack>
  );
}
