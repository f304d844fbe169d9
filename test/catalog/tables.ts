// Loads the expectation tables under test/fixtures/catalog. Unknown fields fail loudly so a typo
// in a fixture can never turn a row into a silent pass.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CATEGORIES, type Category, RISKS, type Risk, type ToolDefinition } from '../../src/catalog/index.js';

export const FIXTURES = join(import.meta.dirname, '../fixtures/catalog');

export interface Row {
  table: string;
  tool: ToolDefinition;
  category: Category;
  risks: Risk[];
  important: boolean;
}

const ROW_KEYS = new Set(['name', 'description', 'properties', 'annotations', 'expect', 'important', 'note']);

function fail(file: string, where: string, message: string): never {
  throw new Error(`${file}: ${where}: ${message}`);
}

function expectation(file: string, where: string, raw: unknown): { category: Category; risks: Risk[] } {
  const e = (raw ?? {}) as { category?: unknown; risk?: unknown; note?: unknown };
  for (const key of Object.keys(e))
    if (!['category', 'risk', 'note'].includes(key)) fail(file, where, `unknown field ${key}`);
  if (!CATEGORIES.includes(e.category as Category)) fail(file, where, `bad category ${String(e.category)}`);
  const risks = (Array.isArray(e.risk) ? e.risk : [e.risk]) as Risk[];
  if (risks.length === 0 || !risks.every((r) => RISKS.includes(r)))
    fail(file, where, `bad risk ${String(e.risk)}`);
  return { category: e.category as Category, risks };
}

function schemaFrom(properties: unknown): object {
  const props: Record<string, object> = {};
  if (Array.isArray(properties)) for (const p of properties) props[String(p)] = { type: 'string' };
  else if (properties && typeof properties === 'object') {
    for (const [k, d] of Object.entries(properties)) props[k] = { type: 'string', description: String(d) };
  }
  return { type: 'object', properties: props };
}

/** Rows written from public documentation (`table-*.yaml`). */
export function loadDocTables(): Row[] {
  const rows: Row[] = [];
  for (const file of readdirSync(FIXTURES).filter((f) => /^table-.*\.yaml$/.test(f))) {
    const doc = parse(readFileSync(join(FIXTURES, file), 'utf8')) as { server: string; tools: unknown[] };
    doc.tools.forEach((raw, i) => {
      const r = raw as Record<string, unknown>;
      for (const key of Object.keys(r))
        if (!ROW_KEYS.has(key)) fail(file, `row ${i}`, `unknown field ${key}`);
      if (typeof r.name !== 'string') fail(file, `row ${i}`, 'missing name');
      const tool: ToolDefinition = { name: r.name, inputSchema: schemaFrom(r.properties) };
      if (typeof r.description === 'string') tool.description = r.description;
      if (r.annotations) tool.annotations = r.annotations as ToolDefinition['annotations'];
      rows.push({
        table: doc.server,
        tool,
        ...expectation(file, r.name, r.expect),
        important: r.important === true,
      });
    });
  }
  return rows;
}

/** Real tools/list fixtures joined with their `<server>.expected.yaml`. */
export function loadReferenceRows(server: string): Row[] {
  const { tools } = JSON.parse(readFileSync(join(FIXTURES, `${server}.tools.json`), 'utf8')) as {
    tools: ToolDefinition[];
  };
  const expected = parse(readFileSync(join(FIXTURES, `${server}.expected.yaml`), 'utf8')) as {
    tools: Record<string, unknown>;
  };
  const names = tools.map((t) => t.name);
  const missing = Object.keys(expected.tools).filter((n) => !names.includes(n));
  const unexpected = names.filter((n) => !(n in expected.tools));
  if (missing.length || unexpected.length) {
    fail(
      `${server}.expected.yaml`,
      'tools',
      `missing ${unexpected.join(',') || '-'}; stale ${missing.join(',') || '-'}`,
    );
  }
  return tools.map((tool) => ({
    table: server,
    tool,
    ...expectation(`${server}.expected.yaml`, tool.name, expected.tools[tool.name]),
    important: false,
  }));
}
