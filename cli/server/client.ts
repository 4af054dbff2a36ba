import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { loadSettings } from '../../functions/lib/settings.ts';
import { acquireHomeLock, describeHolder, type HomeLock, HomeLocked, type LockServer } from '../local/home-lock.ts';

/**
 * How a CLI command gets at EFI_HOME: as a client of the running `efi server`
 * (the lock names its address), or in this process holding the EFI_HOME lock.
 * main.ts calls `enterHome` before every command.
 */

export type HomeEntry = { kind: 'served'; exitCode: number } | { kind: 'local'; argv: string[]; lock: HomeLock | null };

/** Exit status when EFI_HOME stays busy (sysexits EX_TEMPFAIL): try again later. */
export const EXIT_HOME_BUSY = 75;

/** Commands that never open EFI_HOME (as does `config validate`, which reads only its files). */
const NO_HOME = new Set(['upload']);
export async function enterHome(cmd: string, argv: string[], env = process.env): Promise<HomeEntry> {
  const noWait = argv.includes('--no-wait');
  const rest = argv.filter((a) => a !== '--no-wait');
  const noDatabase = NO_HOME.has(cmd) || (cmd === 'config' && rest[0] === 'validate');
  if (noDatabase || rest.includes('--help') || rest.includes('-h') || isRemote(rest, env)) {
    return { kind: 'local', argv: rest, lock: null };
  }
  let home: string;
  try {
    home = loadSettings(env).home;
  } catch {
    return { kind: 'local', argv: rest, lock: null }; // the command reports the settings error itself
  }
  const waitSeconds = noWait ? 0 : Number(env['EFI_LOCK_WAIT'] ?? 60);
  const deadline = Date.now() + (Number.isFinite(waitSeconds) ? waitSeconds : 60) * 1000;
  const rel = path.relative(process.cwd(), home);
  const shown = !rel || rel.startsWith('..') ? home : rel;
  let toldWaiting = false;
  for (;;) {
    try {
      const r = await acquireHomeLock(home, `efi ${cmd}`, {
        waitMs: Math.max(0, deadline - Date.now()),
        onWait: (h) => {
          if (toldWaiting) return;
          toldWaiting = true;
          process.stderr.write(
            `efi: waiting for ${describeHolder(h)} to release ${shown} (up to ${waitSeconds} s; --no-wait fails at once)...\n`,
          );
        },
        onStale: (s) =>
          process.stderr.write(`efi: recovered ${shown}/efi.lock left by ${describeHolder(s)}, no longer running\n`),
        stopWaitingFor: (h) => !!h.server,
      });
      if ('lock' in r) return { kind: 'local', argv: rest, lock: r.lock };
      const server = r.holder.server!;
      try {
        return { kind: 'served', exitCode: await callServer(server, cmd, rest) };
      } catch (e) {
        // Refused: the server is starting or stopping. Keep waiting within the same deadline.
        if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || Date.now() >= deadline) throw e;
        await new Promise((res) => setTimeout(res, 100));
      }
    } catch (e) {
      if (e instanceof HomeLocked) {
        process.stderr.write(`efi ${cmd}: ${e.message}\n`);
        return { kind: 'served', exitCode: EXIT_HOME_BUSY };
      }
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED') {
        process.stderr.write(`efi ${cmd}: efi server does not answer (${(e as Error).message})\n`);
        return { kind: 'served', exitCode: EXIT_HOME_BUSY };
      }
      // It went away mid-command (stopped: its runs end ABORTED and can be redriven).
      process.stderr.write(
        `efi ${cmd}: efi server stopped while running this command (${(e as Error).message}); ` +
          'a run it was executing ends ABORTED (FAILED ProcessDied, once the next efi command finds it, if the server was killed): see efi runs, and efi redrive RUN\n',
      );
      return { kind: 'served', exitCode: 1 };
    }
  }
}

function isRemote(argv: string[], env: NodeJS.ProcessEnv): boolean {
  return !!env['EFI_STATE_MACHINE_ARN'] || argv.some((a) => a.startsWith('--state-machine-arn'));
}

/** Paths the command reads (files to ingest, configs, SQL files) must mean the same in the server. */
export function absolutisePaths(argv: string[], cwd: string): string[] {
  return argv.map((a) => {
    if (a.startsWith('-') || path.isAbsolute(a)) return a;
    const p = path.resolve(cwd, a);
    return fs.existsSync(p) ? p : a;
  });
}

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Runs the command in the server (POST /api/cli) and replays its output here
 * as it comes (NDJSON lines {"out"}/{"err"}, then {"exit"}). Output is the
 * same as in-process; colour is dropped when this stdout is not a terminal.
 */
export function callServer(server: LockServer, cmd: string, argv: string[]): Promise<number> {
  const body = JSON.stringify({
    cmd,
    argv: absolutisePaths(argv, process.cwd()),
    tty: !!process.stdout.isTTY && process.env['NO_COLOR'] === undefined && !argv.includes('--json'),
  });
  const colour = !!process.stdout.isTTY && process.env['NO_COLOR'] === undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: server.host === '0.0.0.0' || server.host === '::' ? '127.0.0.1' : server.host,
        port: server.port,
        path: '/api/cli',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-efi-client': 'cli',
          ...(server.token ? { authorization: `Bearer ${server.token}` } : {}),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`)));
          return;
        }
        let buf = '';
        let exit: number | null = null;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          // One write per run of lines to the same stream (a 50-row table is one write, not 50),
          // in the order the server sent them.
          let pending = '';
          let pendingTo: NodeJS.WriteStream | null = null;
          const emit = (to: NodeJS.WriteStream, text: string) => {
            if (pendingTo && pendingTo !== to) {
              pendingTo.write(pending);
              pending = '';
            }
            pendingTo = to;
            pending += `${colour ? text : text.replace(ANSI, '')}\n`;
          };
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            nl = buf.indexOf('\n');
            if (!line) continue;
            const m = JSON.parse(line) as { out?: string; err?: string; exit?: number };
            if (m.out !== undefined) emit(process.stdout, m.out);
            if (m.err !== undefined) emit(process.stderr, m.err);
            if (m.exit !== undefined) exit = m.exit;
          }
          if (pendingTo) (pendingTo as NodeJS.WriteStream).write(pending);
        });
        res.on('end', () => (exit === null ? reject(new Error('efi server closed the connection')) : resolve(exit)));
        res.on('error', reject);
      },
    );
    // Ctrl-C: hang up; the server aborts the run this command started (it ends ABORTED, redrivable).
    const onSigint = () => {
      process.stderr.write(
        cmd === 'watch'
          ? '  stopping (Ctrl-C): the watch in efi server stops after the file it is on\n'
          : '  aborting (Ctrl-C): the run in efi server ends ABORTED; efi redrive RUN resumes it\n',
      );
      req.destroy();
      resolve(130);
    };
    process.once('SIGINT', onSigint);
    req.on('close', () => process.off('SIGINT', onSigint));
    req.on('error', reject);
    req.end(body);
  });
}
