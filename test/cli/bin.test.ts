import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireHomeLock } from '../../cli/local/home-lock.ts';

// bin/efi.js runs the esbuild bundle, built once for the whole run by test/setup/global-build.ts.
let home: string;

beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-bin-'));
});

afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const efi = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/efi.js', ...args], { env: { ...process.env, EFI_HOME: home }, encoding: 'utf8' });

/** The npm packages among the module URLs a process resolved (test/cli/fixtures/record-modules.mjs). */
const packagesOf = (modules: string[]) => [
  ...new Set(modules.flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? [])),
];

describe('the compiled CLI', () => {
  it('is plain JavaScript: each command is its own lazily imported chunk, PGlite stays external', () => {
    const main = fs.readFileSync('dist/cli/main.js', 'utf8');
    expect(main).not.toMatch(/from ['"]@electric-sql\/pglite['"]/);
    // The command table (cli/dispatch.ts) is main's or a chunk main imports statically.
    const statics = [...main.matchAll(/from ["'](\.\/[\w-]+\.js)["']/g)].map((m) =>
      fs.readFileSync(path.join('dist/cli', m[1]!), 'utf8'),
    );
    expect([main, ...statics].join('\n')).toMatch(/import\(["']\.\/runs-[A-Z0-9]+\.js["']\)/);
    const chunks = fs.readdirSync('dist/cli').filter((f) => f.endsWith('.js'));
    const pglite = chunks.filter((f) =>
      /@electric-sql\/pglite/.test(fs.readFileSync(path.join('dist/cli', f), 'utf8')),
    );
    expect(pglite.length).toBeGreaterThan(0);
    expect(pglite).not.toContain('main.js');
  });

  it('answers --help and --version, and exits 2 on an unknown command', () => {
    const help = efi('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('check FILE');
    expect(efi('--version').stdout).toBe('efi 0.1.0\n');
    const bad = efi('frob');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown command "frob"');
  });

  it('runs a command that opens the embedded database and finds the repository files', () => {
    const runs = efi('runs', '--json');
    expect(runs.status).toBe(0);
    expect(JSON.parse(runs.stdout)).toEqual([]);
    const check = efi('check', 'samples/files/tickets_20261122.csv', '--config', 'samples/configs', '--json');
    expect(JSON.parse(check.stdout)).toMatchObject({ configId: 'support.tickets', recordsChecked: 250 });
  });

  it('loads PGlite and no other npm package (no runner, AWS SDK or pg) for runs and show in-process', () => {
    const log = path.join(home, 'modules-in-process.txt');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', './test/cli/fixtures/record-modules.mjs', 'bin/efi.js', ...args], {
        env: { ...process.env, EFI_HOME: home, EFI_MODULE_LOG: log },
        encoding: 'utf8',
      });
    expect(run('runs', '--json').status).toBe(0);
    const show = run('show', '20261101-000001-bench');
    expect(show.stderr).toContain('no run 20261101-000001-bench');
    const modules = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(packagesOf(modules)).toEqual(['@electric-sql/pglite']);
  });
});

describe('the compiled CLI as a client of efi server', () => {
  it('loads none of PGlite, kysely, aws-local-stepfunctions or the AWS SDK for runs and show', async () => {
    // A stand-in server: the lock names it, and it answers /api/cli as efi server does.
    const clientHome = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-bin-client-'));
    const asked: unknown[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        asked.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.end(`${JSON.stringify({ out: 'served' })}\n${JSON.stringify({ exit: 0 })}\n`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const got = await acquireHomeLock(clientHome, 'efi server', { waitMs: 0 });
    if (!('lock' in got)) throw new Error('lock held');
    got.lock.update({ server: { host: '127.0.0.1', port: (server.address() as AddressInfo).port, token: null } });
    const log = path.join(clientHome, 'modules.txt');
    const run = (...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--import', './test/cli/fixtures/record-modules.mjs', 'bin/efi.js', ...args],
          { env: { ...process.env, EFI_HOME: clientHome, EFI_MODULE_LOG: log } },
          (e, stdout) => (e ? reject(e) : resolve(stdout)),
        ),
      );
    try {
      expect(await run('runs', '--limit', '5')).toBe('served\n');
      expect(await run('show', '20261101-000001-bench')).toBe('served\n');
      expect(asked).toMatchObject([
        { cmd: 'runs', argv: ['--limit', '5'] },
        { cmd: 'show', argv: ['20261101-000001-bench'] },
      ]);
      const modules = [...new Set(fs.readFileSync(log, 'utf8').trim().split('\n'))];
      // picocolors is bundled into the CLI's chunks (scripts/build-cli.mjs): no npm package at all.
      expect(packagesOf(modules)).toEqual([]);
      expect(modules.some((u) => u.includes('/dist/cli/client-'))).toBe(true);
    } finally {
      got.lock.release();
      server.close();
      fs.rmSync(clientHome, { recursive: true, force: true });
    }
  });
});
