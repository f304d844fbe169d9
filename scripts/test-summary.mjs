// Runs the Vitest suite and prints the one closing line CI reads ("Tests: N passed, M failed").
// The exit code is non-zero when vitest failed, any test failed, or no test ran at all.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const REPORT = 'test-results/vitest.json';
rmSync(REPORT, { force: true }); // a stale report must never stand in for this run
const run = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
if (!existsSync(REPORT)) {
  console.log('Tests: 0 passed, 1 failed');
  console.error('vitest wrote no report: it did not run to the end');
  process.exit(1);
}
const report = JSON.parse(readFileSync(REPORT, 'utf8'));
const failed = report.numFailedTests + (report.numRuntimeErrorTests ?? 0) + (report.numFailedTestSuites ?? 0);
console.log(`Tests: ${report.numPassedTests} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 && report.numPassedTests > 0 ? 0 : 1);
