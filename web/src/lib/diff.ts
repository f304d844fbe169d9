// A line diff for the "review before saving" step. Policies are small (hundreds of lines), so a
// longest-common-subsequence table is fast enough and gives the minimal diff people expect.

export interface DiffLine {
  kind: 'same' | 'add' | 'del' | 'gap';
  text: string;
  oldNo?: number;
  newNo?: number;
}

export function diffLines(before: string, after: string, context = 3): DiffLine[] {
  const a = before.replace(/\n$/, '').split('\n');
  const b = after.replace(/\n$/, '').split('\n');
  const n = a.length;
  const m = b.length;
  const all: DiffLine[] = [];
  if (n * m > 4_000_000) {
    // Too big for the table: show everything removed then added (still correct, just not minimal).
    a.forEach((text, i) => {
      all.push({ kind: 'del', text, oldNo: i + 1 });
    });
    b.forEach((text, i) => {
      all.push({ kind: 'add', text, newNo: i + 1 });
    });
  } else {
    const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[i] === b[j]) {
        all.push({ kind: 'same', text: a[i]!, oldNo: i + 1, newNo: j + 1 });
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
        all.push({ kind: 'add', text: b[j]!, newNo: j + 1 });
        j++;
      } else {
        all.push({ kind: 'del', text: a[i]!, oldNo: i + 1 });
        i++;
      }
    }
  }
  // Keep `context` unchanged lines around each change; fold the rest into gaps.
  const keep = new Array<boolean>(all.length).fill(false);
  all.forEach((l, k) => {
    if (l.kind === 'same') return;
    for (let d = Math.max(0, k - context); d <= Math.min(all.length - 1, k + context); d++) keep[d] = true;
  });
  const out: DiffLine[] = [];
  let skipped = 0;
  all.forEach((l, k) => {
    if (keep[k]) {
      if (skipped) out.push({ kind: 'gap', text: `${skipped} unchanged line${skipped === 1 ? '' : 's'}` });
      skipped = 0;
      out.push(l);
    } else skipped++;
  });
  if (skipped && out.length)
    out.push({ kind: 'gap', text: `${skipped} unchanged line${skipped === 1 ? '' : 's'}` });
  return out;
}

export function changeCount(lines: DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.kind === 'add') added++;
    if (l.kind === 'del') removed++;
  }
  return { added, removed };
}
