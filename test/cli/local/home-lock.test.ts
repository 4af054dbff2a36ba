import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, processStart, readLock, tryAcquire } from '../../../cli/local/home-lock.ts';
import { readLockFile, runEfi, spawnNode, tempHome, until } from '../server/efi-process.ts';

const homes: string[] = [];
const home = (p: string) => {
  const h = tempHome(p);
  homes.push(h);
  return h;
};
// The process tests run one after another on one EFI_HOME: its database is created once (seconds), then reopened.
let sharedHome: string | null = null;
const shared = () => {
  sharedHome ??= home('efi-lock-procs-');
  return sharedHome;
};
afterAll(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

function holdHome(h: string) {
  const p = spawnNode(['test/cli/local/fixtures/hold-home.ts'], { EFI_HOME: h });
  return { ...p, held: until('the holder to take the lock', () => p.stdout().includes('held')) };
}

describe('EFI_HOME lock', () => {
  it('lets one holder in and names it to the next, then lets go on release', () => {
    const h = home('efi-lock-unit-');
    const first = tryAcquire(h, 'efi ingest');
    expect('lock' in first).toBe(true);
    const second = tryAcquire(h, 'efi runs');
    expect(second).toMatchObject({ holder: { pid: process.pid, command: 'efi ingest' } });
    expect(fs.statSync(path.join(h, 'efi.lock')).mode & 0o777).toBe(0o600);
    if ('lock' in first) first.lock.release();
    expect(readLock(h)).toBeNull();
    const third = tryAcquire(h, 'efi runs');
    expect('lock' in third).toBe(true);
    if ('lock' in third) third.lock.release();
  });

  it('treats a lock whose pid was reused by another process as stale', () => {
    const info = {
      pid: process.pid,
      command: 'efi ingest',
      startedAt: new Date().toISOString(),
      hostname: os.hostname(),
      procStart: 'not-this-process',
    };
    expect(isAlive(info)).toBe(processStart(process.pid) === null);
  });

  it('makes a second efi process fail at once with --no-wait, naming the holder', async () => {
    const h = shared();
    const holder = holdHome(h);
    await holder.held;
    const r = await runEfi(['runs', '--no-wait'], { EFI_HOME: h });
    expect(r.code).toBe(75);
    expect(r.stderr).toContain(`in use by efi ingest (pid ${holder.proc.pid}`);
    holder.proc.stdin!.end();
    expect(await holder.exit).toBe(0);
  });

  it('makes a second efi process wait for the holder, say so, and go on once it is released', async () => {
    const h = shared();
    const holder = holdHome(h);
    await holder.held;
    const waiter = spawnNode(['cli/main.ts', 'runs', '--json'], { EFI_HOME: h, EFI_LOCK_WAIT: '120' });
    await until('the waiting message', () => waiter.stderr().includes('waiting for efi ingest'));
    expect(waiter.stderr()).toContain(`(pid ${holder.proc.pid}`);
    holder.proc.stdin!.end();
    expect(await waiter.exit).toBe(0);
    expect(JSON.parse(waiter.stdout())).toEqual([]);
    expect(readLockFile(h)).toBeNull(); // the waiter released it too
  });

  it('recovers the lock of a killed process', async () => {
    const h = shared();
    const holder = holdHome(h);
    await holder.held;
    holder.proc.kill('SIGKILL');
    await holder.exit;
    expect(readLockFile(h)?.pid).toBe(holder.proc.pid); // left behind
    const r = await runEfi(['runs', '--no-wait'], { EFI_HOME: h });
    expect(r.stderr).toContain(`left by efi ingest (pid ${holder.proc.pid}`);
    expect(r.code).toBe(0);
    expect(readLockFile(h)).toBeNull();
  });
});
