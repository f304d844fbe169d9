import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
  loadAvgAtStart: [number, number, number];
}

/** What the figures were measured on; load average matters on a shared 2-core box. */
export function describeMachine(): Machine {
  const [l1, l5, l15] = loadavg();
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    loadAvgAtStart: [round2(l1 ?? 0), round2(l5 ?? 0), round2(l15 ?? 0)],
  };
}

export function loadNow(): number {
  return round2(loadavg()[0] ?? 0);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
