/** One counter to check and charge. `key` is already scoped by the caller, e.g. 'grant:support-agent:track_event_rate'. */
export interface CounterCharge {
  key: string;
  windowSeconds: number;
  max: number;
  amount: number;
}

export type ConsumeResult =
  | { ok: true }
  | {
      ok: false;
      /** Index into the charges array of the first charge that did not fit. */
      index: number;
      /** That counter's usage in its current window before this attempt (nothing was added). */
      used: number;
      retryAfterSeconds: number;
    };

export interface CounterStore {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  /** Check every charge against its window; if all fit, add all amounts; otherwise add nothing. */
  consume(charges: readonly CounterCharge[], nowMs: number): Promise<ConsumeResult>;
  /** Current usage of each charge's counter in its current window, without consuming. */
  usage(charges: readonly CounterCharge[], nowMs: number): Promise<number[]>;
  /** Throws CounterBackendError when the backend cannot answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type CounterConfig =
  | { backend: 'memory' }
  | { backend: 'sqlite'; path: string }
  | { backend: 'redis'; url: string; prefix?: string };
