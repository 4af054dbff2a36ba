import fs from 'node:fs';
import path from 'node:path';

/**
 * The watcher behind `efi watch`, apart from the command so a test drives its
 * polls: which files are ready (size and mtime unchanged across two polls),
 * which entries are refused (symbolic links, whatever they point at), and a
 * loop that takes each ready file once, survives a file that fails, and stops
 * when its signal aborts.
 */

/** One directory entry as a poll sees it (lstat: a link is a link, never its target). */
export interface Seen {
  file: string;
  size: number;
  mtimeMs: number;
}

/**
 * Decides when a file is complete enough to read: it is ready once a poll sees
 * the same size and mtime as the poll before, and is taken once per version
 * (a file rewritten later is taken again).
 */
export class StabilityRule {
  private readonly last = new Map<string, string>();
  private readonly taken = new Map<string, string>();

  /** The files of this poll that are ready, in name order. `immediately`: no second poll needed (--once). */
  ready(entries: Seen[], immediately = false): string[] {
    const present = new Set(entries.map((e) => e.file));
    for (const f of [...this.last.keys()]) if (!present.has(f)) this.last.delete(f);
    for (const f of [...this.taken.keys()]) if (!present.has(f)) this.taken.delete(f);
    const out: string[] = [];
    for (const e of [...entries].sort((a, b) => (a.file < b.file ? -1 : 1))) {
      const sig = `${e.size}:${e.mtimeMs}`;
      const stable = immediately || this.last.get(e.file) === sig;
      this.last.set(e.file, sig);
      if (stable && this.taken.get(e.file) !== sig) {
        this.taken.set(e.file, sig);
        out.push(e.file);
      }
    }
    return out;
  }
}

/** A directory entry efi will not read, with why. */
export interface Refusal {
  file: string;
  reason: string;
}

/** Lists the regular files of `dir`; symbolic links are refused (never followed), other entries skipped. */
export function listFolder(dir: string): { files: Seen[]; refused: Refusal[] } {
  const files: Seen[] = [];
  const refused: Refusal[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith('.tmp') || name.startsWith('.')) continue;
    const file = path.join(dir, name);
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!st) continue; // removed since readdir
    if (st.isSymbolicLink()) refused.push({ file, reason: describeLink(file) });
    else if (st.isFile()) files.push({ file, size: st.size, mtimeMs: st.mtimeMs });
  }
  return { files, refused };
}

function describeLink(file: string): string {
  let target = '?';
  try {
    target = fs.readlinkSync(file);
  } catch {
    // unreadable link: still refused
  }
  const to = fs.statSync(file, { throwIfNoEntry: false });
  const what = !to ? 'to nothing (a dangling link)' : to.isDirectory() ? 'to a folder' : 'to a file';
  return `${file} is a symbolic link ${what} (-> ${target}); efi does not follow links: copy or move the file itself into the folder`;
}

export interface WatchLoopOptions<R> {
  dir: string;
  /** Takes one ready file (copy to landing and run); a throw counts as a failed file and the loop goes on. */
  take: (file: string) => Promise<R>;
  /** Whether a result counts as failed (for the summary and the exit status). */
  failed: (result: R) => boolean;
  /** Waits between polls; must return early when `signal` aborts. */
  nextPoll: (signal: AbortSignal) => Promise<void>;
  signal: AbortSignal;
  /** Take what is there now and return (no stability wait). */
  once?: boolean;
  rule?: StabilityRule;
  onRefused?: (r: Refusal) => void;
  onError?: (file: string, e: unknown) => void;
  /** Called after each poll's files are taken: tests wait on this instead of on time. */
  onPoll?: (poll: number) => void;
}

export interface WatchSummary<R> {
  results: R[];
  failed: number;
  refused: number;
  errors: number;
  polls: number;
}

/** Polls `dir` until `signal` aborts (or once), taking each file when it is stable. */
export async function watchLoop<R>(o: WatchLoopOptions<R>): Promise<WatchSummary<R>> {
  const rule = o.rule ?? new StabilityRule();
  const reported = new Map<string, string>();
  const summary: WatchSummary<R> = { results: [], failed: 0, refused: 0, errors: 0, polls: 0 };
  while (!o.signal.aborted) {
    // Archiving prunes emptied folders, the landing folder included.
    fs.mkdirSync(o.dir, { recursive: true });
    const { files, refused } = listFolder(o.dir);
    for (const r of refused) {
      // Once per link (and again if it is re-pointed), not on every poll.
      if (reported.get(r.file) === r.reason) continue;
      reported.set(r.file, r.reason);
      summary.refused++;
      o.onRefused?.(r);
    }
    for (const f of [...reported.keys()]) if (!refused.some((r) => r.file === f)) reported.delete(f);
    for (const file of rule.ready(files, o.once)) {
      if (o.signal.aborted) break;
      try {
        const result = await o.take(file);
        summary.results.push(result);
        if (o.failed(result)) summary.failed++;
      } catch (e) {
        summary.errors++;
        o.onError?.(file, e);
      }
    }
    summary.polls++;
    o.onPoll?.(summary.polls);
    if (o.once || o.signal.aborted) break;
    await o.nextPoll(o.signal);
  }
  return summary;
}
