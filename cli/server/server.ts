import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { KyselyRunLog } from '../../functions/lib/adapters/config-db/kysely-run-log.ts';
import { loadSettings } from '../../functions/lib/settings.ts';
import { createContext, localDeps } from '../context.ts';
import { runCommand } from '../dispatch.ts';
import { acquireHomeLock, describeHolder, HomeLocked } from '../local/home-lock.ts';
import { LocalRunner } from '../local/runner.ts';
import type { RemoteSettings } from '../remote/settings.ts';
import { createApi } from './api.ts';
import type { DeployedBackend } from './deployed.ts';

export const SERVER_HELP = `Usage: efi server [--port N] [--host H] [--token T] [--state-machine-arn ARN [--region R]] [--watch DIR]

One long-running process that owns EFI_HOME (the embedded database, the
object-store folder and the runner), with a JSON API and the web console:

  console   http://127.0.0.1:7270/
  API       http://127.0.0.1:7270/api/... (see docs/console.md)

While it runs, every other efi command on the same EFI_HOME is its client
(same output, no database start-up). Without it, commands run in-process
holding EFI_HOME/efi.lock.

  --port N    port (default 7270, EFI_SERVER_PORT; 0 = any free port)
  --host H    address to bind (default 127.0.0.1). Any other address needs a
              token: --token T, EFI_SERVER_TOKEN, or one is generated and printed
  --token T   require "Authorization: Bearer T" on every API request
  --state-machine-arn ARN (or EFI_STATE_MACHINE_ARN)
              the console's run pages show the deployed state machine's executions
              (ListExecutions / DescribeExecution / GetExecutionHistory, Redrive via
              RedriveExecution; AWS credentials from the usual chain), with the run rows
              of the config DB where it has them. --region must match the ARN's.
  --watch DIR the server also runs efi watch DIR (repeatable; --interval MS as
              efi watch's): each file that appears is ingested, one at a time
              with everything else the server runs. Without --watch, efi watch
              DIR from another terminal runs its watch in the server the same
              way, for as long as that command runs.

Stop with Ctrl-C or SIGTERM: the server stops taking requests, aborts the runs
it is executing (they end ABORTED, and efi redrive RUN resumes them at the
state that was running), closes the database and releases EFI_HOME. A second
Ctrl-C exits at once (the lock is then recovered by the next command).`;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      'state-machine-arn': { type: 'string' },
      region: { type: 'string' },
      watch: { type: 'string', multiple: true },
      interval: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${SERVER_HELP}\n`);
    return 0;
  }
  const port = Number(values.port ?? process.env['EFI_SERVER_PORT'] ?? 7270);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`efi server: --port ${values.port}: expected 0-65535\n`);
    return 2;
  }
  const host = values.host;
  const loopback = LOOPBACK.has(host);
  const token =
    values.token ?? process.env['EFI_SERVER_TOKEN'] ?? (loopback ? null : randomBytes(18).toString('base64url'));

  const ctx = createContext(false);
  const settings = loadSettings();
  let remote: RemoteSettings | null = null;
  if (values['state-machine-arn'] || process.env['EFI_STATE_MACHINE_ARN']) {
    try {
      remote = (await import('../remote/settings.ts')).resolveRemoteSettings(values);
    } catch (e) {
      ctx.err(`efi server: ${(e as Error).message}`);
      return 2;
    }
  }
  const home = settings.home;
  const rel = path.relative(process.cwd(), home);
  const shown = !rel || rel.startsWith('..') ? home : rel;
  let lockResult: Awaited<ReturnType<typeof acquireHomeLock>>;
  try {
    lockResult = await acquireHomeLock(home, 'efi server', {
      waitMs: values['no-wait'] ? 0 : Number(process.env['EFI_LOCK_WAIT'] ?? 60) * 1000,
      onWait: (h) => ctx.err(`efi server: waiting for ${describeHolder(h)} to release ${shown}...`),
      onStale: (s) => ctx.err(`efi server: recovered ${shown}/efi.lock left by ${describeHolder(s)}`),
      stopWaitingFor: (h) => !!h.server,
    });
  } catch (e) {
    if (e instanceof HomeLocked) {
      ctx.err(`efi server: ${e.message}`);
      return 75;
    }
    throw e;
  }
  if (!('lock' in lockResult)) {
    const s = lockResult.holder.server!;
    ctx.err(`efi server: already running for ${shown}: http://${s.host}:${s.port}/ (pid ${lockResult.holder.pid})`);
    return 1;
  }
  const lock = lockResult.lock;

  const rt = localDeps(ctx);
  const runner = LocalRunner.create(rt);
  await rt.db(); // open (and migrate) before answering, so the first request is fast
  const deployed: DeployedBackend | null = remote
    ? {
        settings: remote,
        client: (await import('../remote/settings.ts')).sfnClient(remote),
        runRow: async (runId) => new KyselyRunLog(await rt.db()).get(runId),
      }
    : null;

  const aborts = new Set<(reason?: string) => void>();
  let chain: Promise<unknown> = Promise.resolve();
  let busy = 0;
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    busy++;
    const p = chain.then(fn, fn);
    chain = p.catch(() => {}).finally(() => busy--);
    return p;
  };
  const allowedHosts = loopback ? new Set(['127.0.0.1', 'localhost', '::1']) : null;
  const server = http.createServer(
    createApi({ deps: { rt, runner }, token, allowedHosts, serial, aborts, log: (s) => ctx.err(s), deployed }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (e) {
    ctx.err(`efi server: cannot listen on ${host}:${port}: ${(e as Error).message} (choose another with --port)`);
    await closeDatabases();
    lock.release();
    return 1;
  }
  const actual = (server.address() as AddressInfo).port;
  lock.update({ server: { host, port: actual, token } });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}/`;
  ctx.err(`${pc.bold('efi server')} owns ${shown} (pid ${process.pid})`);
  ctx.err(`  console  ${url}${token ? `?token=${token}` : ''}`);
  ctx.err(`  API      ${url}api/health`);
  if (token) ctx.err(`  token    ${token} (Authorization: Bearer ...)`);
  if (deployed) ctx.err(`  runs     deployed: ${deployed.settings.stateMachineArn}`);
  const watches = (values.watch ?? []).map((dir) => {
    const stop = new AbortController();
    const abort = () => stop.abort();
    aborts.add(abort);
    const servedWatch = { rt, runner, around: serial, signal: stop.signal };
    const args = [path.resolve(dir), ...(values.interval ? ['--interval', values.interval] : [])];
    return runCommand('watch', args, { ...ctx, servedWatch } as typeof ctx).finally(() => aborts.delete(abort));
  });
  ctx.err(pc.dim('  other efi commands on this EFI_HOME now go through this server; Ctrl-C stops it'));

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) {
        ctx.err(`efi server: ${signal} again, exiting now (the lock is recovered by the next command)`);
        process.exit(130);
      }
      stopping = true;
      ctx.err(`efi server: ${signal}: stopping${aborts.size ? `, aborting ${aborts.size} running run(s)` : ''}...`);
      server.close();
      server.closeAllConnections?.();
      // The reason is written on each aborted run ("stopped at CheckLoad (efi server stopped (SIGTERM))").
      const why = `efi server stopped (${signal})`;
      for (const a of aborts) a(why);
      // Runs started by CLI clients (efi ingest via the server) abort on their SIGINT listener
      // (on SIGINT Node calls it again, with the signal's name: the first reason stays).
      for (const l of process.listeners('SIGINT')) if (l !== onInt) (l as (reason: string) => void)(why);
      await Promise.allSettled(watches);
      const settle = Date.now() + 30_000;
      while (busy > 0 && Date.now() < settle) await new Promise((r) => setTimeout(r, 50));
      await closeDatabases();
      lock.release();
      ctx.err('efi server: stopped');
      resolve(0);
    };
    const onInt = () => void stop('SIGINT');
    const onTerm = () => void stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

async function closeDatabases(): Promise<void> {
  const { closeConfigDb } = await import('../../functions/lib/adapters/config-db/connect.ts');
  await closeConfigDb().catch(() => {});
  const { closePglite } = await import('../../functions/lib/adapters/postgres/pglite.ts');
  await closePglite().catch(() => {});
}
