// Prints the one closing line CI reads ("Tests: N passed, M failed") from vitest's JSON report.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
const failed = report.numFailedTests + (report.numRuntimeErrorTests ?? 0);
console.log(`Tests: ${report.numPassedTests} passed, ${failed} failed`);
process.exit(failed === 0 && report.numPassedTests > 0 ? 0 : 1);
