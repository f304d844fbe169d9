/**
 * "Did you mean": the valid name closest to a misspelt one, for config errors. A name is close
 * when it differs only in case, `_` or `-` (`token-env`, `tokenEnv`), lacks only its suffix
 * (`secret` for `secret_env`), or differs by a couple of typed letters (insert, drop, replace, swap two neighbours): at most 1 for names up to 4 letters, 2 up
 * to 8, 3 beyond. Nothing is suggested when two names are equally close.
 */
export function closestName(typed: string, valid: Iterable<string>): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const names = [...valid].filter((v) => v !== typed);
  const same = names.filter((v) => squash(v) === squash(typed));
  if (same.length === 1) return same[0];
  // `secret` for `secret_env`: the name without its suffix.
  const longer = names.filter(
    (v) => squash(v).startsWith(squash(typed)) && /^[-_]/.test(v.slice(typed.length)),
  );
  if (longer.length === 1) return longer[0];
  const limit = typed.length <= 4 ? 1 : typed.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = limit + 1;
  let tie = false;
  for (const name of names) {
    const d = editDistance(squash(typed), squash(name));
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance) tie = true;
  }
  return tie ? undefined : best;
}

/** ` (did you mean `x`?)`, or nothing. */
export function didYouMean(typed: string, valid: Iterable<string>): string {
  const name = closestName(typed, valid);
  return name === undefined ? '' : ` (did you mean \`${name}\`?)`;
}

/** Optimal string alignment distance: Levenshtein plus the swap of two neighbouring letters. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
