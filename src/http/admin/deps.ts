import type { Logger } from 'pino';
import type { AuditLog } from '../../audit/index.js';
import type { Config } from '../../config/index.js';
import type { PolicySet } from '../../gateway/policies.js';
import type { CounterStore } from '../../limits/index.js';
import type { Store } from '../../store/index.js';
import type { ServerState } from '../../upstream/probe.js';

/** What the admin API reads and changes; the gateway composition root provides it. */
export interface AdminDeps {
  log: Logger;
  config(): Config;
  states: ReadonlyMap<string, ServerState>;
  policies: PolicySet;
  store: Store;
  audit: AuditLog;
  counters: CounterStore;
}
