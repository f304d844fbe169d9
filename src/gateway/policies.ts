import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { PolicyFileError, PolicyRefStatus, PolicySource } from '../policy/file-status.js';
import {
  type CompiledPolicy,
  compilePolicy,
  DENY_ALL,
  denyAllBecause,
  isInlinePolicy,
  PolicyError,
  type PolicyIssue,
  parseInlinePolicy,
  parsePolicy,
} from '../policy/index.js';
import { PolicyFiles } from './policy-files.js';

export type {
  PolicyFileError,
  PolicyFileState,
  PolicyFileStatus,
  PolicyRefStatus,
} from '../policy/file-status.js';

type PolicyRef = string | Record<string, unknown> | undefined;

/** A policy as the config names it: a followed file, or a document compiled once. */
type Source = { file: string } | { inline: Record<string, unknown>; policy: CompiledPolicy };

/** The policy for one caller, and why every call is denied when it cannot be loaded. */
export interface PolicyLookup {
  policy: CompiledPolicy;
  /**
   * Set when the caller's own policy cannot be loaded (and never could since the gateway started):
   * `policy` then denies every call. `reason` is for the agent (no paths), `detail` for the audit
   * and the log (file:line:col and the error).
   */
  broken?: { reason: string; detail: string };
}

const INLINE_CACHE_MAX = 1000;

/**
 * Every policy the gateway enforces, compiled once. A grant's policy beats its server's; with
 * neither, every call is denied. Policy files are followed by name (src/gateway/policy-files.ts):
 * a valid edit applies to the next call; an invalid or missing one is logged once with file:line
 * and the last good version keeps serving. Nothing here throws on the request path: a stored
 * grant whose policy never loaded gets a policy that denies everything, with the reason.
 */
export class PolicySet {
  private readonly files: PolicyFiles;
  private servers = new Map<string, Source>();
  private grants = new Map<string, Source>();
  /** Stored grants' inline documents, by text: compiled (or refused) once. */
  private readonly inline = new Map<string, { policy?: CompiledPolicy; error?: PolicyFileError }>();
  private readonly listeners = new Set<(file: string) => void>();

  constructor(log: Logger, opts: { pollMs?: number } = {}) {
    this.files = new PolicyFiles(
      log,
      (file) => {
        for (const l of this.listeners) l(file);
      },
      opts.pollMs,
    );
  }

  /**
   * Load every policy the config names. Throws PolicyError (fail closed, loudly) when one has never
   * loaded: at start-up that stops the gateway; on a config reload the last good config stays.
   */
  configure(config: Config): void {
    const servers = new Map<string, Source>();
    for (const [name, s] of Object.entries(config.servers)) {
      const src = this.source(s.policy, `servers.${name}.policy`);
      if (src) servers.set(name, src);
    }
    const grants = new Map<string, Source>();
    for (const g of [...config.grants, ...(config.jwt?.grants ?? [])]) {
      const src = this.source(g.policy, `grants.${g.name}.policy`);
      if (src) grants.set(g.name, src);
    }
    this.servers = servers;
    this.grants = grants;
  }

  /** The policy for one caller on one server (never throws; see lookup). */
  for(grant: string, server: string, grantPolicyRef?: string): CompiledPolicy {
    return this.lookup(grant, server, grantPolicyRef).policy;
  }

  /** The policy for one caller on one server, and whether the caller's own policy is broken. */
  lookup(grant: string, server: string, grantPolicyRef?: string): PolicyLookup {
    if (grantPolicyRef) {
      const st = this.refStatus(grantPolicyRef);
      const policy = isInlinePolicy(grantPolicyRef)
        ? this.inline.get(grantPolicyRef)?.policy
        : this.files.track(grantPolicyRef).enforced?.policy;
      if (policy) return { policy };
      const why = st.state === 'missing' ? 'its policy file is missing' : 'its policy is invalid';
      const reason =
        `the policy of grant "${grant}" cannot be loaded (${why}), so the gateway denies every call ` +
        'of this grant; an operator must fix the policy (the gateway log and dashboard say what is wrong)';
      const detail = `grant "${grant}" policy cannot be loaded: ${st.error?.message ?? 'unknown error'}`;
      return { policy: denyAllBecause(reason, 'unloadable grant policy'), broken: { reason, detail } };
    }
    return {
      policy: this.policyOf(this.grants.get(grant)) ?? this.policyOf(this.servers.get(server)) ?? DENY_ALL,
    };
  }

  /** How a stored grant's policy reference loads now (reads it the first time, then follows it). */
  refStatus(ref: string): PolicyRefStatus {
    if (isInlinePolicy(ref)) {
      let hit = this.inline.get(ref);
      if (!hit) {
        try {
          hit = { policy: parseInlinePolicy(ref) };
        } catch (err) {
          const issues = issuesOf(err);
          hit = { error: { message: (err as Error).message, issues, at: Date.now() } };
        }
        if (this.inline.size >= INLINE_CACHE_MAX) this.inline.clear();
        this.inline.set(ref, hit);
      }
      return hit.policy
        ? { kind: 'inline', state: 'in_sync', enforced: true }
        : { kind: 'inline', state: 'invalid', enforced: false, error: hit.error, lastError: hit.error };
    }
    const st = this.files.track(ref);
    return {
      kind: 'file',
      state: st.state,
      enforced: st.enforced !== undefined,
      error: st.error,
      lastError: st.lastError,
      checkedAt: st.checkedAt,
    };
  }

  /** Where a server's policy comes from, what is enforced, and (for a file) the state of the file. */
  sourceOf(server: string): PolicySource {
    const src = this.servers.get(server);
    if (!src) return { policy: DENY_ALL };
    if ('inline' in src) return { inline: src.inline, policy: src.policy };
    const status = this.files.track(src.file);
    return {
      file: src.file,
      policy: status.enforced?.policy ?? DENY_ALL,
      text: status.enforced?.text,
      status,
    };
  }

  /**
   * Replace a server's policy file with `text` and apply it now. Throws PolicyError (nothing is
   * written) when the text is invalid; returns false when the policy is not file-based.
   */
  save(server: string, text: string): boolean {
    const src = this.servers.get(server);
    if (!src || !('file' in src)) return false;
    parsePolicy(text, { file: src.file });
    writeFileSync(src.file, text);
    return this.files.reload(src.file);
  }

  /** Re-read one policy file now; false when it does not load (the last good version stays). */
  reload(file: string): boolean {
    return this.files.reload(file);
  }

  onChange(listener: (file: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.files.close();
  }

  private source(ref: PolicyRef, label: string): Source | undefined {
    if (ref === undefined) return undefined;
    if (typeof ref !== 'string') return { inline: ref, policy: compilePolicy(ref, `toolgate.yaml ${label}`) };
    const st = this.files.track(ref);
    if (!st.enforced) throw new PolicyError(st.error?.issues ?? []);
    return { file: ref };
  }

  private policyOf(src: Source | undefined): CompiledPolicy | undefined {
    if (!src) return undefined;
    return 'inline' in src ? src.policy : this.files.track(src.file).enforced?.policy;
  }
}

function issuesOf(err: unknown): PolicyIssue[] {
  if (err instanceof PolicyError) return err.issues;
  return [{ file: 'policy', line: 0, column: 0, path: '', message: (err as Error).message }];
}
