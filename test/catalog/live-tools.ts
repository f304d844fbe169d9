// Fetches the tools/list of a real reference server over stdio, so fixtures and the live check
// use the same code path. Test-only: src/catalog stays pure and never spawns anything.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

export const REFERENCE_SERVERS = ['everything', 'filesystem', 'memory'] as const;
export type ReferenceServer = (typeof REFERENCE_SERVERS)[number];

function launch(server: ReferenceServer): { command: string; args: string[]; env?: Record<string, string> } {
  const entry = `node_modules/@modelcontextprotocol/server-${server}/dist/index.js`;
  const scratch = mkdtempSync(join(tmpdir(), `toolgate-catalog-${server}-`));
  if (server === 'filesystem') return { command: process.execPath, args: [entry, scratch] };
  if (server === 'memory') {
    return {
      command: process.execPath,
      args: [entry],
      env: { MEMORY_FILE_PATH: join(scratch, 'memory.jsonl') },
    };
  }
  return { command: process.execPath, args: [entry, 'stdio'] };
}

/** Lists every tool of a reference server, following pagination, and closes it. */
export async function fetchTools(server: ReferenceServer): Promise<Array<Record<string, unknown>>> {
  const { command, args, env } = launch(server);
  const transport = new StdioClientTransport({
    command,
    args,
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'toolgate-catalog-fixtures', version: '0.0.0' });
  await client.connect(transport);
  try {
    const tools: Array<Record<string, unknown>> = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined);
      tools.push(...(page.tools as Array<Record<string, unknown>>));
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  } finally {
    await client.close();
  }
}
