/**
 * The redactor's cost per audit record, next to the canonical JSON the audit log computes for the
 * same arguments anyway (its digest), and its throughput on long text with and without secrets.
 * Run: node --import tsx bench/redact.ts   (writes bench/results/redact.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redactor } from '../src/redact/index.js';
import { canonicalJson } from '../src/util/canonical-json.js';
import { describeMachine } from './lib/machine.js';

const ARGS: Record<string, unknown>[] = [
  { query: 'select id, name from customers where region = $1', params: ['emea'], limit: 50 },
  { path: '/srv/app/config/settings.json', content: 'line one\nline two\n'.repeat(20) },
  {
    to: 'acct-20931',
    amount: 1250,
    currency: 'EUR',
    memo: 'invoice 2026-118, see https://example.com/i/118',
  },
  { url: 'https://api.example.com/v2/items?page=3&sort=desc', headers: { accept: 'application/json' } },
  { message: 'Deploy finished: 14 services, 0 failures. Next window: Friday 10:00 UTC.', channel: '#ops' },
  {
    title: 'Bug: login fails',
    body: 'Steps:\n1. open /login\n2. enter user\nExpected: ok',
    labels: ['bug', 'p2'],
  },
  { db: 'postgres://app:s3cr3t@db:5432/prod', token: 'abc', note: `use Bearer ${'x1'.repeat(20)}` },
];

function perSecond(f: (i: number) => unknown, ms: number, warm = 50_000, batch = 1000): number {
  for (let i = 0; i < warm; i++) f(i); // warm up (the regex engine tiers up after a while)
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) f(n + i);
    n += batch;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9);
}

const r = new Redactor({ keys: ['ssn'], patterns: ['ACME-[0-9]{6}'] });
const redact = perSecond((i) => r.args(ARGS[i % ARGS.length]), 1500);
const canonical = perSecond((i) => canonicalJson(ARGS[i % ARGS.length]), 1500);
const MB = 1 << 20;
const prose = 'The quick brown fox jumps over the lazy dog; note: nothing secret here, see page 3. '.repeat(
  MB / 84,
);
const secrets = `password=hunter2 Bearer ${'a1'.repeat(16)} tg_${'Q'.repeat(43)} ok. `.repeat(MB / 100);
const mbPerSecond = (s: string) => perSecond(() => r.text(s), 2000, 5, 1) * (s.length / MB);

const results = {
  recordsPerSecond: Math.round(redact),
  usPerRecord: Number((1e6 / redact).toFixed(2)),
  canonicalJsonPerSecond: Math.round(canonical),
  ratioToCanonicalJson: Number((redact / canonical).toFixed(2)),
  proseMbPerSecond: Number(mbPerSecond(prose).toFixed(1)),
  secretDenseMbPerSecond: Number(mbPerSecond(secrets).toFixed(1)),
};
console.log(
  `redact: ${results.recordsPerSecond.toLocaleString('en')} records/s (${results.usPerRecord} us), ` +
    `${results.ratioToCanonicalJson}x the rate of canonicalJson on the same arguments; ` +
    `text: ${results.proseMbPerSecond} MB/s of prose, ${results.secretDenseMbPerSecond} MB/s dense with secrets`,
);
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'redact.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ bench: 'redact', generatedAt: new Date().toISOString(), machine: describeMachine(), results }, null, 2)}\n`,
);
