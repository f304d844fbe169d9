import type { Redis, RedisOptions } from 'ioredis';
import { counterId, validateCharges } from './charges.js';
import { CounterBackendError } from './errors.js';
import { CONSUME_LUA, CONSUME_SHA } from './redis-script.js';
import type { ConsumeResult, CounterCharge, CounterStore } from './types.js';
import { retryAfterSeconds, windowEnd } from './window.js';

export const DEFAULT_REDIS_PREFIX = 'toolgate:';

// Keys outlive their window by this much, so a replica whose clock runs slightly behind still
// finds the count it shares with the others instead of starting from zero.
const EXPIRY_MARGIN_MS = 2_000;
// A call waits at most this long for Redis before it fails closed; loopback answers in ~0.1 ms.
const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 1_000;
// Reconnect forever (Redis coming back must need no restart), backing off to at most 500 ms.
const RECONNECT_MAX_DELAY_MS = 500;

// Fail fast rather than queue: a held call waiting on a dead Redis is worse than a clear denial.
// Never resend: a consume whose reply was lost may already have counted, and counting twice
// would turn one lost reply into a wrongly refused call later.
const CLIENT_OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  commandTimeout: COMMAND_TIMEOUT_MS,
  connectTimeout: CONNECT_TIMEOUT_MS,
  retryStrategy: (times: number) => Math.min(times * 50, RECONNECT_MAX_DELAY_MS),
};

/**
 * Counters in Redis, shared by every gateway replica. A consume is one EVALSHA round trip
 * running a Lua script that checks every counter and then increments them all, or none.
 * Keys: `<prefix><key>:<windowSeconds>:<windowStartMs>`, expiring when their window ends.
 */
export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis' as const;
  private lastError: Error | undefined;
  private closed = false;

  private constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly where: string,
  ) {
    // Without a listener ioredis prints every reconnect failure; we report them on use instead.
    client.on('error', (err: Error) => {
      this.lastError = err;
    });
    // Load the script on every (re)connect so the first consume after it is still one trip.
    client.on('ready', () => {
      this.lastError = undefined;
      client.script('LOAD', CONSUME_LUA).catch(() => {});
    });
  }

  /**
   * Connects and waits (bounded) for the first connection. A Redis that is down at start does not
   * fail creation: calls fail closed until it answers, and readiness (`ping`) reports it.
   */
  static async open(url: string, prefix = DEFAULT_REDIS_PREFIX): Promise<RedisCounterStore> {
    // Loaded on demand: users without Redis never load the driver.
    const { Redis } = await import('ioredis');
    const client = new Redis(url, CLIENT_OPTIONS);
    const store = new RedisCounterStore(client, prefix, describe(client));
    await client.connect().catch(() => {});
    return store;
  }

  async consume(charges: readonly CounterCharge[], nowMs: number): Promise<ConsumeResult> {
    validateCharges(charges, nowMs);
    if (charges.length === 0) return { ok: true };
    this.assertReady();
    const args: (string | number)[] = new Array(2 + charges.length * 4);
    let a = 0;
    args[a++] = CONSUME_SHA;
    args[a++] = charges.length;
    for (const c of charges) args[a++] = this.prefix + counterId(c, nowMs);
    for (const c of charges) {
      args[a++] = c.max;
      args[a++] = c.amount;
      args[a++] = windowEnd(nowMs, c.windowSeconds) - nowMs + EXPIRY_MARGIN_MS;
    }
    const reply = await this.evalConsume(args);
    if (reply === 0) return { ok: true };
    const [index, used] = reply as [number, string];
    const failed = charges[index - 1]!;
    return {
      ok: false,
      index: index - 1,
      used: Number(used),
      retryAfterSeconds: retryAfterSeconds(nowMs, failed.windowSeconds),
    };
  }

  async usage(charges: readonly CounterCharge[], nowMs: number): Promise<number[]> {
    validateCharges(charges, nowMs);
    if (charges.length === 0) return [];
    this.assertReady();
    const keys = charges.map((c) => this.prefix + counterId(c, nowMs));
    const values = await this.guard(() => this.client.mget(keys));
    return values.map((v) => (v === null ? 0 : Number(v)));
  }

  async ping(): Promise<void> {
    this.assertReady();
    await this.guard(() => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  // EVALSHA, and EVAL once if this Redis has not seen the script (first use, restart, flush).
  private async evalConsume(args: (string | number)[]): Promise<unknown> {
    return this.guard(async () => {
      try {
        return await this.client.evalsha(...(args as [string, number, ...(string | number)[]]));
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        args[0] = CONSUME_LUA;
        return await this.client.eval(...(args as [string, number, ...(string | number)[]]));
      }
    });
  }

  private assertReady(): void {
    if (this.closed) throw new CounterBackendError(`the limit store (redis at ${this.where}) is closed`);
    if (this.client.status !== 'ready') {
      const why = this.lastError ? `: ${this.lastError.message}` : ` (connection ${this.client.status})`;
      throw new CounterBackendError(`the limit store (redis at ${this.where}) is unreachable${why}`, {
        cause: this.lastError,
      });
    }
  }

  // Redis answered with an error (OOM, READONLY after a failover, a clobbered key) or did not
  // answer at all: either way nothing can be counted, and the gateway must fail closed.
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = err as Error;
      const replied = e.name === 'ReplyError';
      const what = replied ? 'refused the call' : 'is unreachable';
      throw new CounterBackendError(`the limit store (redis at ${this.where}) ${what}: ${e.message}`, {
        cause: err,
      });
    }
  }
}

// host:port for messages; never the URL, which may carry a password.
function describe(client: Redis): string {
  const { host, port, path } = client.options;
  return path ? path : `${host ?? '127.0.0.1'}:${port ?? 6379}`;
}
