import type { Logger } from 'pino';
import type { AuditLog } from '../../audit/index.js';
import type { Config } from '../../config/index.js';
import type { CounterStore } from '../../limits/index.js';
import type { PolicyRefStatus, PolicySource } from '../../policy/file-status.js';
import type { CompiledPolicy } from '../../policy/index.js';
import type { Store } from '../../store/index.js';
import type { ServerState } from '../../upstream/probe.js';

/**
 * The policies as the admin API sees them: a port the admin API owns, so it knows nothing of the
 * files and watchers behind it (the gateway's PolicySet implements it).
 */
export interface PolicyView {
  /** The policy that applies to a grant's calls to a server. */
  for(grant: string, server: string, grantPolicyRef?: string): CompiledPolicy;
  /**
   * A server's enforced policy and where it comes from (a file, or inline in toolgate.yaml); for a
   * file, the enforced version's text and whether the file on disk says the same.
   */
  sourceOf(server: string): PolicySource;
  /** How a stored grant's policy reference loads. */
  refStatus(ref: string): PolicyRefStatus;
  /** Replace a server's policy file with `text` (validated first); false when it has no file. */
  save(server: string, text: string): boolean;
}

/** What the admin API reads and changes; the gateway composition root provides it. */
export interface AdminDeps {
  log: Logger;
  config(): Config;
  states: ReadonlyMap<string, ServerState>;
  policies: PolicyView;
  store: Store;
  audit: AuditLog;
  counters: CounterStore;
  /** Try a server that is down now, whatever its backoff (the health view); resolves after the probe. */
  retryServer?(server: string): Promise<void>;
}
