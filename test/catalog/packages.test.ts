// Accuracy of the catalogue on the real tools/list of public MCP server packages from npm, against
// hand labels written before the classifier ran on them (test/fixtures/catalog/npm-*.labels.yaml,
// see the git history). @iterable/mcp is the tuning set of issue 15 and is scored apart; the other
// packages are held out: no rule was changed while looking at them.
import { describe, expect, it } from 'vitest';
import { recommendRule } from '../../src/catalog/advice.js';
import { classifyTool, proposePolicy, type Risk, riskRank } from '../../src/catalog/index.js';
import { type LabelledPackage, loadPackage } from './package-rows.js';

const TUNING = '@iterable/mcp';
/** Labelled before any rule change; scored before and after the issue-15 fixes. */
const HELD_OUT_A = [
  '@modelcontextprotocol/server-slack',
  '@modelcontextprotocol/server-gitlab',
  '@stripe/mcp',
  '@notionhq/notion-mcp-server',
  '@mongodb-js/mongodb-mcp-server',
  '@playwright/mcp',
];
/** Collected and labelled after the issue-15 fixes, scored once. */
const HELD_OUT_B = [
  '@sentry/mcp-server',
  '@modelcontextprotocol/server-puppeteer',
  '@hubspot/mcp-server',
  'mcp-server-kubernetes',
];

// Floors set from the measured results (docs/catalog.md, "Accuracy on real npm servers"), a
// little below them so a regression of two or three tools fails. The held-out floors are low
// because the results are: most risk misses there are servers marking clicks and searches
// destructiveHint: true, or API reads openWorldHint: true, which the classifier believes on
// purpose (see the docs for what each miss does to the proposed rule).
const FLOORS: Record<string, { category: number; risk: number }> = {
  [TUNING]: { category: 0.98, risk: 0.96 },
  'held-out A': { category: 0.87, risk: 0.7 },
  'held-out B': { category: 0.87, risk: 0.58 },
  'held-out A+B': { category: 0.87, risk: 0.65 },
  '@modelcontextprotocol/server-slack': { category: 1, risk: 1 },
  '@modelcontextprotocol/server-gitlab': { category: 1, risk: 1 },
  '@stripe/mcp': { category: 0.95, risk: 0.8 },
  '@notionhq/notion-mcp-server': { category: 0.85, risk: 0.55 },
  '@mongodb-js/mongodb-mcp-server': { category: 0.95, risk: 0.85 },
  '@playwright/mcp': { category: 0.6, risk: 0.4 },
  '@sentry/mcp-server': { category: 0.9, risk: 0.45 },
  '@modelcontextprotocol/server-puppeteer': { category: 0.7, risk: 0.7 },
  '@hubspot/mcp-server': { category: 0.9, risk: 0.6 },
  'mcp-server-kubernetes': { category: 0.85, risk: 0.65 },
};

interface Score {
  name: string;
  tools: number;
  category: number;
  risk: number;
  /** Risk below the label: the dangerous direction (a looser proposed rule than deserved). */
  under: number;
  /** The proposed rule is the one the labelled category and risk would get. */
  rule: number;
  misses: string[];
}

function score(name: string, packages: LabelledPackage[]): Score {
  const s: Score = { name, tools: 0, category: 0, risk: 0, under: 0, rule: 0, misses: [] };
  for (const p of packages) {
    for (const row of p.tools) {
      const c = classifyTool(row.tool);
      s.tools++;
      if (c.category === row.category) s.category++;
      if (c.risk === row.risk) s.risk++;
      if (riskRank(c.risk) < riskRank(row.risk)) s.under++;
      const deserved = recommendRule(row.tool.name, row.category, row.risk);
      if (JSON.stringify(c.recommended) === JSON.stringify(deserved)) s.rule++;
      if (c.category !== row.category || c.risk !== row.risk) {
        s.misses.push(`${row.tool.name}: ${c.category}/${c.risk}, labelled ${row.category}/${row.risk}`);
      }
    }
  }
  return s;
}

const tuning = loadPackage(TUNING);
const heldOutA = HELD_OUT_A.map(loadPackage);
const heldOutB = HELD_OUT_B.map(loadPackage);
const scores = [
  score(tuning.package, [tuning]),
  ...heldOutA.map((p) => score(p.package, [p])),
  score('held-out A', heldOutA),
  ...heldOutB.map((p) => score(p.package, [p])),
  score('held-out B', heldOutB),
  score('held-out A+B', [...heldOutA, ...heldOutB]),
];
const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)}%`;
console.log(
  `\ncatalog accuracy on npm servers (tools, category, risk, proposed rule as labelled, risk under the label)\n${scores
    .map(
      (s) =>
        `  ${s.name.padEnd(50)} ${String(s.tools).padStart(3)}  ${pct(s.category, s.tools).padStart(6)}  ${pct(s.risk, s.tools).padStart(6)}  ${pct(s.rule, s.tools).padStart(6)}  ${s.under}`,
    )
    .join('\n')}\nmisses:\n${scores
    .filter((s) => !s.name.startsWith('held-out'))
    .flatMap((s) => s.misses.map((m) => `  ${s.name}: ${m}`))
    .join('\n')}\n`,
);

describe('accuracy on real npm MCP servers', () => {
  it.each(scores.map((s) => [s.name, s] as const))('%s meets its floors', (name, s) => {
    const floor = FLOORS[name.replace(/(.)@[^@]*$/, '$1')];
    if (!floor) throw new Error(`no floor for ${name}`);
    expect(s.category / s.tools).toBeGreaterThanOrEqual(floor.category);
    expect(s.risk / s.tools).toBeGreaterThanOrEqual(floor.risk);
  });

  it('covers at least four held-out packages in each set, and 150 held-out tools', () => {
    expect(heldOutA.length).toBeGreaterThanOrEqual(4);
    expect(heldOutB.length).toBeGreaterThanOrEqual(4);
    expect([...heldOutA, ...heldOutB].reduce((n, p) => n + p.tools.length, 0)).toBeGreaterThanOrEqual(150);
  });
});

// Issue 15 point 8, on the real definitions: each class of error and what it did to the proposal.
describe('@iterable/mcp: the classes of issue 15 in the proposed policy', () => {
  const proposal = proposePolicy(
    'iterable',
    tuning.tools.map((t) => t.tool),
  );
  const rule = (name: string) => (proposal.document.tools as Record<string, Record<string, unknown>>)[name];
  const c = (name: string) => proposal.classifications[name]!;
  const limit = (name: string, max: number) => ({
    limits: [{ counter: `${name}_rate`, window: 'minute', max, scope: 'grant' }],
  });

  it('track_event stays Write / Medium with 30 calls a minute per grant', () => {
    expect(c('track_event')).toMatchObject({ category: 'Write', risk: 'Medium' });
    expect(rule('track_event')).toEqual(limit('track_event', 30));
  });

  it('a subscription to messages is consent, not money: bulk_update_subscriptions is listed', () => {
    for (const name of ['bulk_update_subscriptions', 'update_user_subscriptions', 'subscribe_user_by_email'])
      expect(c(name).category).toBe('Write');
    expect(c('bulk_update_subscriptions').risk).toBe('High');
    expect(rule('bulk_update_subscriptions')).toEqual(limit('bulk_update_subscriptions', 10));
  });

  it('a participle in the description ("running") does not make a tool Execute', () => {
    for (const name of ['abort_campaign', 'declare_experiment_winner', 'cancel_experiment'])
      expect(c(name)).toMatchObject({ category: 'Write', risk: 'Medium' });
    expect(rule('abort_campaign')).toEqual(limit('abort_campaign', 30));
  });

  it('"bulk" in the description raises a write', () => {
    for (const name of ['partial_update_catalog_items', 'replace_catalog_items']) {
      expect(c(name)).toMatchObject({ category: 'Write', risk: 'High' });
      expect(rule(name)).toEqual(limit(name, 10));
    }
  });

  it('creating or stopping a campaign without sending it is a Write; setting one going is not', () => {
    for (const name of [
      'create_blast_campaign',
      'create_triggered_campaign',
      'deactivate_triggered_campaign',
    ])
      expect(c(name)).toMatchObject({ category: 'Write', risk: 'Medium' });
    for (const name of [
      'schedule_campaign',
      'activate_triggered_campaign',
      'send_campaign',
      'trigger_campaign',
    ]) {
      expect(c(name)).toMatchObject({ category: 'Communication', risk: 'High' });
      expect(rule(name)).toMatchObject({ approval: {} });
    }
  });

  it('download links to full exports are rate-limited, and starting an export is an export', () => {
    expect(c('get_export_files')).toMatchObject({ category: 'Read', risk: 'High' });
    expect(rule('get_export_files')).toEqual(limit('get_export_files', 10));
    expect(c('start_export_job')).toMatchObject({ category: 'Read', risk: 'Medium' });
  });

  it('email, SMS, push and in-app templates get the same rule', () => {
    const risks = (verb: string) =>
      ['email', 'sms', 'push', 'inapp'].map((m) => c(`${verb}_${m}_template`).risk as Risk);
    expect(new Set(risks('get'))).toEqual(new Set(['Low']));
    expect(new Set(risks('update'))).toEqual(new Set(['Medium']));
    expect(c('get_message_types').risk).toBe('Low');
    expect(c('get_user_fields').risk).toBe('Low');
    expect(c('get_user_by_email').risk).toBe('Medium');
  });
});
