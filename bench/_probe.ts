import { echo, httpClient, runLoad } from './lib/load.js';
import { BENCH_POLICY, EVERYTHING_STDIO, startEverythingHttp, startGateway, stopAll } from './lib/procs.js';

const up = await startEverythingHttp();
const gw = await startGateway({
  ev_stdio: { ...EVERYTHING_STDIO, policy: BENCH_POLICY },
  ev_http: { url: up.url, policy: BENCH_POLICY },
});
for (const s of (process.env.PROBE_SERVERS ?? 'ev_stdio').split(',')) {
  const c = await httpClient(s === 'direct' ? up.url : `${gw.url}/mcp/${s}`);
  console.log(
    s,
    await runLoad(
      (i) => echo(c, i),
      Number(process.env.PROBE_CALLS ?? 5000),
      Number(process.env.PROBE_C ?? 32),
      200,
    ),
  );
}
console.log('gateway stderr:', gw.stderr().slice(-1500));
await stopAll();
process.exit(0);
