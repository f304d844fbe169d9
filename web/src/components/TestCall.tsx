import {
  Alert,
  Autocomplete,
  Button,
  Code,
  Group,
  JsonInput,
  Paper,
  Select,
  Stack,
  Text,
} from '@mantine/core';
import { useState } from 'react';
import { api, type ExplainResult } from '../api';
import { OutcomeBadge } from './badges';

/** "Test a call": runs the server's saved policy on a call through `POST /api/policies/:server/explain`. */
export function TestCall({
  server,
  tools,
  grants,
  dirty,
}: {
  server: string;
  tools: string[];
  grants: string[];
  dirty: boolean;
}) {
  const [tool, setTool] = useState('');
  const [args, setArgs] = useState('{}');
  const [grant, setGrant] = useState<string | null>(null);
  const [result, setResult] = useState<ExplainResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  let argsError: string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(args || '{}');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      argsError = 'arguments are a JSON object';
  } catch (err) {
    argsError = (err as Error).message;
  }

  async function run(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setResult(await api.explain(server, tool, parsed, grant ?? undefined));
    } catch (err) {
      setResult(null);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Paper withBorder p="md" component="form" onSubmit={run} aria-label="Test a call">
      <Stack gap="sm">
        <Text fw={600}>Test a call</Text>
        {dirty && (
          <Text size="xs" c="orange">
            This runs the saved policy; save your draft first to test it.
          </Text>
        )}
        <Group align="flex-start">
          <Autocomplete label="Tool" data={tools} value={tool} onChange={setTool} required w={240} />
          <Select
            label="Grant"
            placeholder="local"
            data={grants}
            value={grant}
            onChange={setGrant}
            clearable
            w={180}
          />
        </Group>
        <JsonInput
          label="Arguments (JSON)"
          value={args}
          onChange={setArgs}
          error={argsError}
          autosize
          minRows={3}
          formatOnBlur
        />
        <Button type="submit" loading={busy} disabled={!tool || !!argsError} w="fit-content">
          Explain
        </Button>
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        {result && (
          <Stack gap={4} data-testid="explain-result" aria-live="polite">
            <Group gap="xs">
              <OutcomeBadge outcome={result.decision} />
              {result.shadow && <Text size="xs">shadow mode: recorded, not enforced</Text>}
              {result.rule && <Code>{result.rule}</Code>}
            </Group>
            {result.reason && <Text size="sm">Agent reads: {result.reason}</Text>}
            {result.explanation && (
              <Text size="sm" c="dimmed">
                {result.explanation}
              </Text>
            )}
            {(result.limits ?? []).map((l) => (
              <Text size="xs" key={`${l.counter}-${l.scope}`}>
                consumes {l.counter}: max {l.max} per {String(l.window)} ({l.scope})
              </Text>
            ))}
            {result.approval && (
              <Text size="xs">
                needs approval ({result.approval.mode}, times out after {result.approval.timeoutSeconds}s)
              </Text>
            )}
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}
