import { type FSWatcher, watch, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import {
  type CompiledPolicy,
  compilePolicy,
  DENY_ALL,
  loadPolicyFile,
  PolicyError,
  parsePolicy,
} from '../policy/index.js';

type PolicyRef = string | Record<string, unknown> | undefined;

/**
 * Every policy the gateway enforces, compiled once. A grant's policy beats its server's; with
 * neither, every call is denied. Policy files are watched: a valid edit applies to the next call;
 * an invalid one is logged with file:line and the last good version keeps serving.
 */
export class PolicySet {
  private readonly byRef = new Map<string, CompiledPolicy>();
  private readonly watchers = new Map<string, FSWatcher>();
  private serverPolicy = new Map<string, CompiledPolicy>();
  private serverRef = new Map<string, PolicyRef>();
  private grantPolicy = new Map<string, CompiledPolicy>();
  private readonly listeners = new Set<(file: string) => void>();

  constructor(private readonly log: Logger) {}

  /** Load every policy the config names. Throws PolicyError at start-up (fail closed, loudly). */
  configure(config: Config): void {
    const servers = new Map<string, CompiledPolicy>();
    for (const [name, s] of Object.entries(config.servers)) {
      const p = this.resolve(s.policy, `servers.${name}.policy`);
      if (p) servers.set(name, p);
    }
    const grants = new Map<string, CompiledPolicy>();
    for (const g of [...config.grants, ...(config.jwt?.grants ?? [])]) {
      const p = this.resolve(g.policy, `grants.${g.name}.policy`);
      if (p) grants.set(g.name, p);
    }
    this.serverPolicy = servers;
    this.grantPolicy = grants;
    this.serverRef = new Map(Object.entries(config.servers).map(([n, s]) => [n, s.policy]));
  }

  /** The policy for one caller on one server. */
  for(grant: string, server: string, grantPolicyRef?: string): CompiledPolicy {
    if (grantPolicyRef) {
      // A stored grant's policy is a file path or, from `grants create --policy '{...}'`, the
      // document itself: compile inline JSON once, instead of reading it as a file name.
      let inline = this.byRef.get(grantPolicyRef);
      if (!inline && grantPolicyRef.trimStart().startsWith('{')) {
        inline = this.resolve(JSON.parse(grantPolicyRef) as Record<string, unknown>, `grant ${grant}`);
        if (inline) this.byRef.set(grantPolicyRef, inline);
      }
      const p = inline ?? this.resolve(grantPolicyRef, `grant ${grant}`);
      if (p) return p;
    }
    return this.grantPolicy.get(grant) ?? this.serverPolicy.get(server) ?? DENY_ALL;
  }

  /** Where a server's policy comes from: a file path, an inline document, or nothing. */
  sourceOf(server: string): { file?: string; inline?: Record<string, unknown>; policy: CompiledPolicy } {
    const ref = this.serverRef.get(server);
    const policy = this.serverPolicy.get(server) ?? DENY_ALL;
    if (typeof ref === 'string') return { file: ref, policy };
    return ref ? { inline: ref, policy } : { policy };
  }

  /**
   * Replace a server's policy file with `text` and apply it now. Throws PolicyError (nothing is
   * written) when the text is invalid; returns false when the policy is not file-based.
   */
  save(server: string, text: string): boolean {
    const ref = this.serverRef.get(server);
    if (typeof ref !== 'string') return false;
    parsePolicy(text, { file: ref });
    writeFileSync(ref, text);
    return this.reload(ref);
  }

  onChange(listener: (file: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private resolve(ref: PolicyRef, label: string): CompiledPolicy | undefined {
    if (ref === undefined) return undefined;
    if (typeof ref !== 'string') return compilePolicy(ref, `toolgate.yaml ${label}`);
    const cached = this.byRef.get(ref);
    if (cached) return cached;
    const compiled = loadPolicyFile(ref);
    this.byRef.set(ref, compiled);
    this.watchFile(ref);
    return compiled;
  }

  private watchFile(file: string): void {
    if (this.watchers.has(file)) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Editors replace files (rename) as often as they write them; both end up in reload().
      const w = watch(file, { persistent: false }, () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.reload(file), 50);
      });
      this.watchers.set(file, w);
    } catch (err) {
      this.log.warn({ file, err: (err as Error).message }, 'cannot watch policy file; edits need a restart');
    }
  }

  /** Re-read one policy file; keeps the last good version when the new one is invalid. */
  reload(file: string): boolean {
    let next: CompiledPolicy;
    try {
      next = loadPolicyFile(file);
    } catch (err) {
      const detail = err instanceof PolicyError ? err.message : (err as Error).message;
      this.log.error(
        { file, error: detail },
        `policy file is invalid; still serving the last good version:\n${detail}`,
      );
      return false;
    }
    const previous = this.byRef.get(file);
    this.byRef.set(file, next);
    for (const map of [this.serverPolicy, this.grantPolicy]) {
      for (const [k, v] of map) if (v === previous) map.set(k, next);
    }
    // fs.watch loses track of a file replaced by rename; watch the new inode.
    this.watchers.get(file)?.close();
    this.watchers.delete(file);
    this.watchFile(file);
    this.log.info({ file }, 'policy reloaded');
    for (const l of this.listeners) l(file);
    return true;
  }
}
