import { Alert } from '@mantine/core';

export function LoadError({ error, what }: { error: string | undefined; what: string }) {
  if (!error) return null;
  return (
    <Alert color="red" title={`Could not load ${what}`} role="alert" mb="md">
      {error}
    </Alert>
  );
}
