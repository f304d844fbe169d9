import { Alert, Code, Text } from '@mantine/core';
import type { PolicyFileState } from '../api';

/**
 * What the policy file on disk says next to what the gateway enforces. The editor shows the
 * enforced version; when the file is invalid or missing the two differ, and this says so (with the
 * error and its line) so nobody reads one policy while another is enforced.
 */
export function PolicyFileBanner({ file, source }: { file: PolicyFileState | null; source: string }) {
  if (!file) return null;
  if (file.state === 'in_sync') {
    if (!file.lastError) return null;
    return (
      <Text size="xs" c="dimmed" data-testid="policy-file-state">
        The file is in sync with the enforced policy. Last error (
        {new Date(file.lastError.at).toLocaleString()}):{' '}
        <Code>{file.lastError.message.split('\n').slice(1).join(' ') || file.lastError.message}</Code>
      </Text>
    );
  }
  const missing = file.state === 'missing';
  return (
    <Alert
      color={missing ? 'orange' : 'red'}
      role="alert"
      data-testid="policy-file-state"
      title={missing ? 'The policy file is missing' : 'The policy file on disk is invalid'}
    >
      <Text size="sm">
        <Code>{source}</Code> {missing ? 'no longer exists' : 'does not load'}, so the gateway keeps enforcing
        the last good version, shown below. Fix the file (or save from here) and it applies at once.
      </Text>
      {file.error && (
        <Code block mt="xs">
          {file.error.message}
        </Code>
      )}
    </Alert>
  );
}
