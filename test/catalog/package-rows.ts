// Loads the real tool lists of public MCP server packages (collected by collect-package-tools.ts)
// joined with their hand labels. A label file must name exactly the tools of its list, so a
// re-collected list with new tools fails until someone labels them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CATEGORIES, type Category, RISKS, type Risk, type ToolDefinition } from '../../src/catalog/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/catalog');

/** `@iterable/mcp` -> `npm-iterable-mcp.tools.json`. */
export function fixtureName(pkg: string, kind: 'tools.json' | 'labels.yaml' = 'tools.json'): string {
  return `npm-${pkg.replace(/^@/, '').replace(/\//g, '-')}.${kind}`;
}

export interface LabelledTool {
  tool: ToolDefinition;
  category: Category;
  risk: Risk;
  reason: string;
}

export interface LabelledPackage {
  /** `name@version` as collected. */
  package: string;
  tools: LabelledTool[];
}

export function loadPackage(pkg: string): LabelledPackage {
  const listFile = fixtureName(pkg);
  const labelFile = fixtureName(pkg, 'labels.yaml');
  const list = JSON.parse(readFileSync(join(FIXTURES, listFile), 'utf8')) as {
    package: string;
    tools: ToolDefinition[];
  };
  const labels = parse(readFileSync(join(FIXTURES, labelFile), 'utf8')) as {
    package: string;
    tools: Record<string, unknown>;
  };
  if (labels.package !== list.package)
    throw new Error(`${labelFile}: labels ${labels.package}, list ${list.package}`);
  const names = list.tools.map((t) => t.name);
  const unlabelled = names.filter((n) => !(n in labels.tools));
  const stale = Object.keys(labels.tools).filter((n) => !names.includes(n));
  if (unlabelled.length || stale.length)
    throw new Error(
      `${labelFile}: unlabelled ${unlabelled.join(',') || '-'}; stale ${stale.join(',') || '-'}`,
    );
  return {
    package: list.package,
    tools: list.tools.map((tool) => {
      const raw = labels.tools[tool.name];
      // One line per tool: `[Category, Risk, "why"]`, so the file reads as a reviewer's table.
      if (!Array.isArray(raw) || raw.length !== 3)
        throw new Error(`${labelFile}: ${tool.name}: want [category, risk, reason]`);
      const [category, risk, reason] = raw as [Category, Risk, string];
      if (!CATEGORIES.includes(category))
        throw new Error(`${labelFile}: ${tool.name}: bad category ${category}`);
      if (!RISKS.includes(risk)) throw new Error(`${labelFile}: ${tool.name}: bad risk ${risk}`);
      if (typeof reason !== 'string' || reason.length < 5)
        throw new Error(`${labelFile}: ${tool.name}: no reason`);
      return { tool, category, risk, reason };
    }),
  };
}
