import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * A command on PostgreSQL exits when its work is done: idle pool connections
 * must not hold the event loop until pg's idle timeout (10 s) ends them.
 */

const pgUrl = inject('pgUrl');
const BIN = path.resolve('bin/efi.js');

describe.skipIf(!pgUrl)('efi on PostgreSQL', () => {
  let home: string;
  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-exit-'));
  });
  afterAll(async () => {
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  // The bound is below pg's default idleTimeoutMillis (10 s): a command kept
  // alive by an idle pool fails here instead of exiting late.
  it('exits after its output, not after the pool idle timeout', { timeout: 9_000 }, async () => {
    const child = spawn(process.execPath, [BIN, 'sql', 'select 41 + 1 as answer', '--json'], {
      env: { ...process.env, EFI_HOME: home, EFI_WAREHOUSE: pgUrl!, EFI_CONFIG_DB: pgUrl!, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain('42');
  });
});

describe('efi with its PostgreSQL unreachable', () => {
  it('prints one EfiTransient line, no stack, exit 1', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-down-'));
    try {
      const down = 'postgres://postgres@127.0.0.1:1/efi';
      const child = spawn(process.execPath, [BIN, 'runs'], {
        env: { ...process.env, EFI_HOME: home, EFI_WAREHOUSE: down, EFI_CONFIG_DB: down, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      expect(stderr.trim()).toMatch(/^efi runs: EfiTransient: .*ECONNREFUSED 127\.0\.0\.1:1$/);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
