// Talks to the real reference servers over stdio and checks the committed fixtures still match
// them, so the classification tables never drift from what the servers actually serve.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyTool, pinHash, type ToolDefinition } from '../../src/catalog/index.js';
import { fetchTools, REFERENCE_SERVERS } from './live-tools.js';
import { FIXTURES } from './tables.js';

describe.each(REFERENCE_SERVERS)('live tools/list of server-%s', (server) => {
  it('matches the committed fixture by name, and classifies every tool', async () => {
    const live = (await fetchTools(server)) as unknown as ToolDefinition[];
    const fixture = JSON.parse(readFileSync(join(FIXTURES, `${server}.tools.json`), 'utf8')) as {
      tools: ToolDefinition[];
    };
    expect(live.map((t) => t.name).sort()).toEqual(fixture.tools.map((t) => t.name).sort());
    // Pins tell whether the definitions themselves changed; report it without failing, since a
    // reworded description upstream should update the fixture, not break unrelated work.
    const drifted = live.filter((t) => pinHash(t) !== pinHash(fixture.tools.find((f) => f.name === t.name)!));
    if (drifted.length)
      console.log(
        `server-${server}: definitions changed since the fixture: ${drifted.map((t) => t.name).join(', ')}`,
      );
    for (const t of live) expect(classifyTool(t).category).toBeTruthy();
  });
});
