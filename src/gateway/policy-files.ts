import { type FSWatcher, readFileSync, type Stats, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { PolicyFileStatus } from '../policy/file-status.js';
import { type CompiledPolicy, PolicyError, type PolicyIssue, parsePolicy } from '../policy/index.js';

export type { PolicyFileError, PolicyFileState, PolicyFileStatus } from '../policy/file-status.js';

/** How a file looked when last read: any change to it (a new inode, size or time) means read it again. */
type Signature = string;

interface Entry extends PolicyFileStatus {
  signature: Signature;
  timer?: NodeJS.Timeout;
}

const DEBOUNCE_MS = 50;
/** The fallback for what the directory watch misses (network file systems, a folder created later). */
const DEFAULT_POLL_MS = 2000;

function signatureOf(st: Stats | undefined): Signature {
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : 'missing';
}

/**
 * Policy files followed by name, not by inode. Editors, `sed -i` and config tools save by writing a
 * new file and renaming it over the old one; a watch on the file itself stays on the replaced inode
 * and never fires again. So the folder is watched (events filtered by name, debounced), and a slow
 * stat poll catches what the watch cannot see. A file that stops loading keeps its last good version
 * enforced, and the failure is kept (logged once) until the file changes again: nothing on the
 * request path re-reads a broken file.
 */
export class PolicyFiles {
  private readonly entries = new Map<string, Entry>();
  private readonly dirs = new Map<string, FSWatcher>();
  private readonly poller: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    /** Told when a file's enforced policy changed (a valid new version was applied). */
    private readonly applied: (file: string) => void,
    pollMs = DEFAULT_POLL_MS,
  ) {
    this.poller = setInterval(() => this.poll(), pollMs);
    this.poller.unref();
  }

  /** The file's status; the first call reads it (synchronously) and starts following it. */
  track(file: string): PolicyFileStatus {
    let entry = this.entries.get(file);
    if (!entry) {
      entry = { file, state: 'missing', checkedAt: 0, signature: '' };
      this.entries.set(file, entry);
      this.watchDir(dirname(file));
      this.check(file);
    }
    return entry;
  }

  /** Read a tracked file again now (after the gateway wrote it itself). True when it now loads. */
  reload(file: string): boolean {
    this.track(file);
    this.check(file);
    return this.entries.get(file)?.state === 'in_sync';
  }

  close(): void {
    clearInterval(this.poller);
    for (const w of this.dirs.values()) w.close();
    this.dirs.clear();
    for (const e of this.entries.values()) clearTimeout(e.timer);
  }

  private watchDir(dir: string): void {
    if (this.dirs.has(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        for (const e of this.entries.values()) {
          // No name (some platforms): any file of the folder may have changed.
          if (dirname(e.file) === dir && (!name || name === basename(e.file))) this.schedule(e);
        }
      });
      // The folder itself went away (or the watch broke): the poll takes over and re-watches.
      w.on('error', () => {
        w.close();
        if (this.dirs.get(dir) === w) this.dirs.delete(dir);
      });
      this.dirs.set(dir, w);
    } catch {
      // The folder does not exist (yet): the poll notices the file and retries the watch.
    }
  }

  private schedule(e: Entry): void {
    clearTimeout(e.timer);
    e.timer = setTimeout(() => this.check(e.file), DEBOUNCE_MS);
    e.timer.unref();
  }

  private poll(): void {
    for (const e of this.entries.values()) {
      this.watchDir(dirname(e.file));
      if (signatureOf(stat(e.file)) !== e.signature) this.check(e.file);
    }
  }

  /** Read the file and apply it if it changed and loads; otherwise record (and log once) why not. */
  private check(file: string): void {
    const e = this.entries.get(file);
    if (!e) return;
    clearTimeout(e.timer);
    // The signature is taken before the read: a write after it shows up as a change next time.
    const st = stat(file);
    e.signature = signatureOf(st);
    e.checkedAt = Date.now();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.fail(e, 'missing', `${file}: cannot read policy: no such file`, [
          { file, line: 0, column: 0, path: '', message: 'cannot read policy: no such file' },
        ]);
      } else {
        const message = `cannot read policy: ${(err as Error).message}`;
        this.fail(e, 'invalid', `${file}: ${message}`, [{ file, line: 0, column: 0, path: '', message }]);
      }
      return;
    }
    if (e.enforced && text === e.enforced.text) {
      if (e.state !== 'in_sync')
        this.log.info({ file }, 'policy file is back in sync with the enforced policy');
      e.state = 'in_sync';
      e.error = undefined;
      return;
    }
    let next: CompiledPolicy;
    try {
      next = parsePolicy(text, { file });
    } catch (err) {
      const issues =
        err instanceof PolicyError
          ? err.issues
          : [{ file, line: 0, column: 0, path: '', message: (err as Error).message }];
      this.fail(e, 'invalid', err instanceof PolicyError ? err.message : (err as Error).message, issues);
      return;
    }
    const first = e.enforced === undefined && e.error === undefined;
    e.enforced = { policy: next, text, loadedAt: Date.now() };
    e.state = 'in_sync';
    e.error = undefined;
    if (!first) {
      this.log.info({ file }, 'policy reloaded');
      this.applied(file);
    }
  }

  private fail(e: Entry, state: 'invalid' | 'missing', message: string, issues: PolicyIssue[]): void {
    // Logged once per distinct failure: a broken file is not news on every poll.
    const repeated = e.state === state && e.error?.message === message;
    e.state = state;
    if (repeated) return;
    e.error = { message, issues, at: Date.now() };
    e.lastError = e.error;
    const serving = e.enforced
      ? 'still serving the last good version'
      : 'every call under this policy is denied until it is fixed';
    const what = state === 'missing' ? 'policy file is missing' : 'policy file is invalid';
    this.log.error({ file: e.file, error: message }, `${what}; ${serving}:\n${message}`);
  }
}

function stat(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
