/**
 * decide() throughput on generated policies of 10, 100 and 1000 tools with conditions.
 * Run: node --import tsx bench/decide.ts   (writes bench/results/decide.json)
 * Baseline, measured in the same run: a policy with no rules (default allow), same calls.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CallFacts, type CompiledPolicy, compilePolicy, decide } from '../src/policy/index.js';
import { describeMachine } from './lib/machine.js';

const TARGET = 1_000_000;

function generatePolicy(tools: number): object {
  const entries: Record<string, object> = {};
  for (let i = 0; i < tools; i++) {
    switch (i % 5) {
      case 0:
        entries[`tool_${i}`] = { limits: [{ counter: `c${i}`, window: 'minute', max: 30, scope: 'grant' }] };
        break;
      case 1:
        entries[`tool_${i}`] = {
          require: [{ path: 'args.reason', op: 'exists' }],
          deny_if: [{ path: 'args.amount', op: 'gt', value: 10000, reason: 'too much' }],
          approval: { if: [{ path: 'args.amount', op: 'gt', value: 2000 }] },
          limits: [{ counter: `spend${i}`, window: 'day', max: 50000, sum: 'args.amount' }],
        };
        break;
      case 2:
        entries[`tool_${i}`] = {
          deny_if: [
            { path: 'args.env', op: 'in', value: ['prod', 'production'] },
            { path: 'args.query', op: 'regex', value: '^\\s*(drop|truncate)\\b', flags: 'i' },
          ],
        };
        break;
      case 3:
        entries[`tool_${i}`] = {
          require: [
            {
              any: [
                { path: 'grant.claims.role', op: 'eq', value: 'admin' },
                {
                  all: [
                    { path: 'args.path', op: 'starts_with', value: '/srv/' },
                    { not: { path: 'args.path', op: 'contains', value: '..' } },
                  ],
                },
              ],
            },
          ],
        };
        break;
      default:
        entries[`tool_${i}`] = { action: 'rate_limit', rate_limit: { max: 10, window: 60 } };
    }
  }
  entries['admin_*'] = { deny: true, reason: 'admin tools are off' };
  entries['*_export'] = { approval: {} };
  return {
    version: '1',
    default: 'deny',
    hide: ['delete_account', 'internal_*'],
    all_tools: { limits: [{ counter: 'all', window: 'hour', max: 1000 }] },
    tools: entries,
  };
}

function generateCalls(tools: number): CallFacts[] {
  const grant = { name: 'support', claims: { role: 'agent' } };
  const session = { id: 's1' };
  const calls: CallFacts[] = [];
  for (let i = 0; i < 64; i++) {
    const t = (i * 7) % tools;
    const args: Record<string, unknown> = [
      {},
      { reason: 'dup', amount: i % 3 === 0 ? 12000 : i % 3 === 1 ? 3000 : 50 },
      { env: i % 2 ? 'dev' : 'prod', query: 'select 1' },
      { path: i % 2 ? '/srv/a/b' : '/etc/passwd' },
      {},
    ][t % 5]!;
    calls.push({ server: 'demo', tool: `tool_${t}`, args, grant, session });
  }
  // Globs, hidden names and unlisted tools, so every branch of the ladder is timed.
  for (const tool of ['admin_users', 'orders_export', 'delete_account', 'internal_x', 'unlisted']) {
    calls.push({ server: 'demo', tool, args: {}, grant, session });
  }
  return calls;
}

function measure(policy: CompiledPolicy, calls: CallFacts[], ms: number): number {
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += decide(policy, calls[i % calls.length]!).limits.length; // warm up
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 10_000; i++) sink += decide(policy, calls[(n + i) % calls.length]!).limits.length;
    n += 10_000;
    now = process.hrtime.bigint();
  }
  if (sink < 0) console.log(sink); // keeps the work observable
  return n / (Number(now - start) / 1e9);
}

const machine = describeMachine();
const baseline = compilePolicy({ version: '1', default: 'allow' });
const results = [];
for (const tools of [10, 100, 1000]) {
  const policy = compilePolicy(generatePolicy(tools));
  const calls = generateCalls(tools);
  const outcomes: Record<string, number> = {};
  for (const c of calls) {
    const o = decide(policy, c).outcome;
    outcomes[o] = (outcomes[o] ?? 0) + 1;
  }
  const base = measure(baseline, calls, 500);
  const rate = measure(policy, calls, 1500);
  results.push({
    tools,
    decisionsPerSecond: Math.round(rate),
    nsPerDecision: Number((1e9 / rate).toFixed(1)),
    baselineDecisionsPerSecond: Math.round(base),
    ratioToBaseline: Number((rate / base).toFixed(3)),
    meetsTarget: rate >= TARGET,
    callMix: outcomes,
  });
  console.log(
    `${String(tools).padStart(4)} tools: ${Math.round(rate).toLocaleString('en')} decisions/s ` +
      `(${(1e9 / rate).toFixed(0)} ns), ${(rate / base).toFixed(2)}x of the no-rule baseline ` +
      `(${Math.round(base).toLocaleString('en')}/s); target ${TARGET.toLocaleString('en')}/s ${rate >= TARGET ? 'met' : 'MISSED'}`,
  );
}

const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'decide.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ bench: 'decide', generatedAt: new Date().toISOString(), machine, targetPerSecond: TARGET, flatRatio1000To10: Number((results[2]!.nsPerDecision / results[0]!.nsPerDecision).toFixed(2)), results }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
