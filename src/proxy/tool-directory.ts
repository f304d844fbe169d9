/**
 * The tools each upstream listed to this session. A call to a name the upstream never listed is
 * answered as unknown before any policy runs, so a hidden tool and a missing one look the same
 * whatever the policy's default (otherwise `default: deny` would say "denied" for a missing tool
 * and "not found" for a hidden one, telling an agent which hidden tools exist).
 * Until a whole list was seen, nothing is known: the session lists the tools itself before the
 * first call is decided (a client that never calls tools/list gets no other path to a server).
 */
export class ToolDirectory {
  private readonly partial = new Map<string, Set<string>>();
  private readonly complete = new Map<string, ReadonlySet<string>>();

  /** One page of a tools/list result: `first` when it answered a request without a cursor. */
  page(server: string, names: readonly string[], first: boolean, last: boolean): void {
    const set = first ? new Set<string>() : this.partial.get(server);
    if (!set) return; // a page out of order: wait for a walk from the start
    for (const n of names) set.add(n);
    if (last) {
      this.complete.set(server, set);
      this.partial.delete(server);
    } else this.partial.set(server, set);
  }

  /** The server's list changed (it said so): the next call looks at it again. */
  forget(server: string): void {
    this.complete.delete(server);
    this.partial.delete(server);
  }

  /** True or false once a whole list was seen; undefined before. */
  knows(server: string, name: string): boolean | undefined {
    return this.complete.get(server)?.has(name);
  }
}
