import { defineConfig } from 'vitest/config';

// Integration tests spawn real MCP servers and gateways; keep file-level parallelism modest on
// the 2-core machine so timeouts measure our code, not CPU starvation.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
