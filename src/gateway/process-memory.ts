import { readFileSync } from 'node:fs';

/** Children of children at most this deep are counted (npx -> sh -> node is three). */
const MAX_DEPTH = 4;

/**
 * Resident memory of processes and all their descendants, in bytes, from /proc (Linux). Each
 * stdio server is a process tree of its own (npx runs the server as a grandchild), so the tree is
 * what a session costs. Undefined where /proc cannot tell (another OS): the gauge is left out
 * rather than shown as 0. Synchronous small reads, run at scrape time only.
 */
export function treeRssBytes(pids: Iterable<number>): number | undefined {
  let total = 0;
  let any = false;
  const seen = new Set<number>();
  const visit = (pid: number, depth: number) => {
    if (seen.has(pid) || depth > MAX_DEPTH) return;
    seen.add(pid);
    const rss = rssOf(pid);
    if (rss === undefined) return; // gone meanwhile
    any = true;
    total += rss;
    for (const child of childrenOf(pid)) visit(child, depth + 1);
  };
  let asked = false;
  for (const pid of pids) {
    asked = true;
    visit(pid, 0);
  }
  if (!asked) return process.platform === 'linux' ? 0 : undefined;
  return any ? total : undefined;
}

function rssOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0; // a zombie has no VmRSS line
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}
