// Regenerates test/fixtures/catalog/<server>.tools.json from the installed reference servers.
// Run: npx tsx test/catalog/fetch-fixtures.ts
import { writeFileSync } from 'node:fs';
import { fetchTools, REFERENCE_SERVERS } from './live-tools.js';

for (const server of REFERENCE_SERVERS) {
  const tools = await fetchTools(server);
  const file = `test/fixtures/catalog/${server}.tools.json`;
  writeFileSync(file, `${JSON.stringify({ server, tools }, null, 2)}\n`);
  console.log(`${file}: ${tools.length} tools`);
}
