import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { ApiError, api } from '../api';

export function Login({
  onLoggedIn,
  notice,
}: {
  onLoggedIn: () => Promise<void>;
  /** Why the login link did not sign in, if one was opened. */
  notice?: string | null;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(token.trim());
      setToken('');
      await onLoggedIn();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "That is not the admin token. Run toolgate admin token to see it (with admin.token_env, it is that variable's value)."
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" w={420} component="form" onSubmit={submit}>
        <Stack>
          <Title order={2}>toolgate</Title>
          <Text c="dimmed" size="sm">
            Open the login link <code>toolgate serve</code> printed, or paste the admin token (
            <code>toolgate admin token</code> shows it). The dashboard keeps a session cookie after you sign
            in.
          </Text>
          {notice && (
            <Alert color="yellow" role="status">
              {notice}
            </Alert>
          )}
          <PasswordInput
            label="Admin token"
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
            autoFocus
            required
            autoComplete="current-password"
          />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy} disabled={!token.trim()}>
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
