import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One owner process per EFI_HOME. PGlite has no cross-process locking and two
 * processes on one data directory corrupt it, so every CLI process that opens
 * EFI_HOME holds `EFI_HOME/efi.lock` first, and `efi server` holds it for as
 * long as it runs (with its address, so other CLI processes become its clients).
 *
 * The lock file is created with O_EXCL (`wx`), so exactly one process wins.
 * Its content (JSON, mode 0600 because a server's token is in it):
 *
 *   {"pid":123,"command":"efi ingest","startedAt":"2026-12-01T10:40:01.000Z",
 *    "hostname":"box","procStart":"123456","server":{"host":"127.0.0.1","port":7270,"token":"..."}}
 *
 * A lock whose pid is dead (or reused by another process, told by the Linux
 * process start time `procStart`) is stale and is recovered: under a short
 * recovery lock (`efi.lock.recover`, itself O_EXCL), the lock is re-read and
 * removed only if it is still the same stale one, so two recovering processes
 * never remove a fresh lock.
 */

export interface LockServer {
  host: string;
  port: number;
  token: string | null;
}

export interface LockInfo {
  pid: number;
  command: string;
  startedAt: string;
  hostname: string;
  /** Linux process start time (clock ticks since boot, /proc/PID/stat field 22): guards against pid reuse. */
  procStart: string | null;
  server?: LockServer;
}

export interface HomeLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Rewrites the lock content (e.g. once the server knows its port). */
  update(patch: Partial<LockInfo>): void;
  /** Removes the lock if it is still ours; idempotent. */
  release(): void;
}

export class HomeLocked extends Error {
  override readonly name = 'HomeLocked';
  constructor(
    message: string,
    readonly holder: LockInfo,
  ) {
    super(message);
  }
}

export const LOCK_FILE = 'efi.lock';

export function lockPath(home: string): string {
  return path.join(home, LOCK_FILE);
}

/** The Linux start time of a process, or null where /proc is not there. */
export function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null; // field 22 overall = index 19 after pid, comm
  } catch {
    return null;
  }
}

/** True when the process that wrote `info` is still running (on this host). */
export function isAlive(info: LockInfo): boolean {
  if (info.hostname !== os.hostname()) return true; // cannot tell: assume it lives
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists and belongs to someone else.
  }
  if (info.procStart) {
    const now = processStart(info.pid);
    if (now !== null && now !== info.procStart) return false; // pid reused
  }
  return true;
}

export function readLock(home: string): LockInfo | null {
  try {
    const text = fs.readFileSync(lockPath(home), 'utf8');
    return JSON.parse(text) as LockInfo;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // Being written this very moment (created, not yet filled): treat as held by an unknown live process.
    return { pid: -1, command: 'efi (starting)', startedAt: new Date().toISOString(), hostname: '', procStart: null };
  }
}

/** How a holder is named in messages: "efi ingest (pid 123, since 10:40:01 UTC)". */
export function describeHolder(info: LockInfo): string {
  const since = info.startedAt ? `, since ${info.startedAt.slice(11, 19)} UTC` : '';
  return `${info.command} (pid ${info.pid}${since})`;
}

/** One attempt: the lock, or the live holder's info. Recovers a stale lock on the way. */
export function tryAcquire(
  home: string,
  command: string,
  onStale?: (stale: LockInfo) => void,
): { lock: HomeLock } | { holder: LockInfo } {
  fs.mkdirSync(home, { recursive: true });
  const file = lockPath(home);
  const info: LockInfo = {
    pid: process.pid,
    command,
    startedAt: new Date().toISOString(),
    hostname: os.hostname(),
    procStart: processStart(process.pid),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      try {
        fs.writeSync(fd, JSON.stringify(info));
      } finally {
        fs.closeSync(fd);
      }
      return { lock: makeLock(file, info) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLock(home);
    if (!holder) continue; // released between our open and read: try again
    if (holder.pid === -1 || isAlive(holder)) return { holder };
    if (removeIfStill(home, holder)) onStale?.(holder);
  }
  return { holder: readLock(home) ?? info };
}

/** Removes the lock only if it still holds `stale`, under the recovery lock. */
function removeIfStill(home: string, stale: LockInfo): boolean {
  const recover = `${lockPath(home)}.recover`;
  try {
    fs.writeFileSync(recover, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another process is recovering; if it died doing so, its recovery lock is stale after 10 s.
    const st = fs.statSync(recover, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > 10_000) fs.rmSync(recover, { force: true });
    return false;
  }
  try {
    const now = readLock(home);
    if (now && now.pid === stale.pid && now.startedAt === stale.startedAt) {
      fs.rmSync(lockPath(home), { force: true });
      return true;
    }
    return false;
  } finally {
    fs.rmSync(recover, { force: true });
  }
}

function makeLock(file: string, initial: LockInfo): HomeLock {
  let info = initial;
  let released = false;
  const onExit = () => lock.release();
  const lock: HomeLock = {
    path: file,
    get info() {
      return info;
    },
    update(patch) {
      info = { ...info, ...patch };
      // Write-then-rename so a reader never sees a half-written lock.
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
      fs.renameSync(tmp, file);
    },
    release() {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      try {
        const now = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
        if (now.pid === info.pid && now.startedAt === info.startedAt) fs.rmSync(file, { force: true });
      } catch {
        // already gone
      }
    },
  };
  process.on('exit', onExit);
  return lock;
}

export interface AcquireOptions {
  /** How long to wait for a live holder, in ms (0 = fail at once). */
  waitMs: number;
  /** Polling interval while waiting. */
  pollMs?: number;
  /** Said once when waiting starts, e.g. "waiting for efi ingest (pid 123) to release .efi ...". */
  onWait?: (holder: LockInfo) => void;
  onStale?: (stale: LockInfo) => void;
  /** Stop waiting (and return the holder) when this says so, e.g. the holder is a server to talk to. */
  stopWaitingFor?: (holder: LockInfo) => boolean;
}

/**
 * Takes the EFI_HOME lock, waiting up to `waitMs` for a live holder to let go.
 * Returns `{ holder }` early when `stopWaitingFor(holder)` (a server appeared);
 * throws HomeLocked when the wait runs out.
 */
export async function acquireHomeLock(
  home: string,
  command: string,
  opts: AcquireOptions,
): Promise<{ lock: HomeLock } | { holder: LockInfo }> {
  const deadline = Date.now() + opts.waitMs;
  let told = false;
  for (;;) {
    const r = tryAcquire(home, command, opts.onStale);
    if ('lock' in r) return r;
    if (opts.stopWaitingFor?.(r.holder)) return r;
    if (Date.now() >= deadline) {
      const waited = opts.waitMs ? ` after waiting ${Math.round(opts.waitMs / 1000)} s` : '';
      throw new HomeLocked(
        `${home} is in use by ${describeHolder(r.holder)}${waited}; ` +
          `one process owns an EFI_HOME at a time (run efi server to share it, or set EFI_LOCK_WAIT=SECONDS to wait longer)`,
        r.holder,
      );
    }
    if (!told) {
      told = true;
      opts.onWait?.(r.holder);
    }
    await new Promise((res) => setTimeout(res, opts.pollMs ?? 100));
  }
}
