import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LockInfo } from '../../../cli/local/home-lock.ts';

/** Helpers for tests that run efi as real processes (`node --import tsx cli/main.ts`: one process, so a kill hits it). */

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function tempHome(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface Spawned {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number>;
}

export function spawnNode(args: string[], env: Record<string, string>): Spawned {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c) => {
    out += c;
  });
  proc.stderr!.on('data', (c) => {
    err += c;
  });
  const exit = new Promise<number>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return { proc, stdout: () => out, stderr: () => err, exit };
}

export function spawnEfi(args: string[], env: Record<string, string>): Spawned {
  return spawnNode(['cli/main.ts', ...args], env);
}

export async function runEfi(args: string[], env: Record<string, string>) {
  const p = spawnEfi(args, env);
  const code = await p.exit;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Polls `check` until it returns a value (not a fixed sleep: a bounded wait on a condition). */
export async function until<T>(
  what: string,
  check: () => T | null | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function readLockFile(home: string): LockInfo | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(home, 'efi.lock'), 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

/** Starts `efi server --port 0` on `home` and resolves once the lock names its port. */
export async function startServer(home: string, extra: string[] = []) {
  const p = spawnEfi(['server', '--port', '0', ...extra], { EFI_HOME: home });
  let exited = false;
  p.exit.then(() => {
    exited = true;
  });
  const lock = await until(
    'efi server to listen',
    () => {
      if (exited) throw new Error(`efi server exited: ${p.stderr()}`);
      const l = readLockFile(home);
      return l?.server && l.pid === p.proc.pid ? l : null;
    },
    90_000,
  );
  const base = `http://127.0.0.1:${lock.server!.port}`;
  return {
    ...p,
    base,
    lock,
    async stop() {
      if (!exited) p.proc.kill('SIGTERM');
      return p.exit;
    },
  };
}

export const SALES_CONFIG = `interface: sales
description: Point-of-sale exports (console test)
files:
  - id: sales.daily
    match: { glob: "daily_*.csv" }
    header: { lines: 1, columns: [sale_id, amount] }
    target: { schema: stage, table: sales }
    columns: [sale_id, amount]
`;

export const SALES_TABLE = `create schema if not exists stage;
create table stage.sales (sale_id integer not null, amount numeric(10,2) not null,
  efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)`;

export function salesFile(dir: string, name = 'daily_20261201.csv', rows = 20): string {
  const lines = ['sale_id,amount'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},${i}.50`);
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
