/** Windows and timeouts: a unit word, a duration like `15m` or `1h30m`, or a number of seconds. */

const UNITS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Returns the length in seconds, or undefined when the value is not a valid positive duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value > 0 ? value : undefined;
  }
  if (typeof value !== 'string' || value === '') return undefined;
  const unit = UNITS[value];
  if (unit !== undefined && Object.hasOwn(UNITS, value)) return unit;
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    return n > 0 ? n : undefined;
  }
  const m = DURATION.exec(value);
  if (!m) return undefined;
  const [, d, h, min, s] = m;
  const total = Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0);
  return total > 0 ? total : undefined;
}

export const DURATION_HELP =
  'second, minute, hour, day, a duration like "15m" or "1h30m", or a whole number of seconds';
