import { COMMANDS } from './command-table.ts';
import type { CliContext } from './context.ts';

export const HELP = `efi — External File Ingestion: load files dropped in S3 into Redshift,
or locally into embedded PostgreSQL, through one Step Functions state machine.

Usage: efi <command> [options]

Running files
  ingest FILE...        put files in the landing prefix and run the state machine on each
  demo                  apply the sample configs and ingest the bundled sample files
  watch [DIR]           ingest every file that appears in DIR (default: the landing folder)
  check FILE            match, validate and dry-run the load of a file as a run would, keeping nothing

Operating runs (local history; with EFI_STATE_MACHINE_ARN, the deployed state machine)
  upload FILE...        upload files to the deployed landing bucket
  runs                  list runs: feed, status, duration, rows, file, error; filter by
                        --feed, --status, --since/--until (2026-12-01, 2h, 3d), --file
  show RUN              one run: where its file is now, states with durations; --full, --state NAME
  logs RUN              a run's event history, like get-execution-history
  redrive RUN           resume a failed run at the state that failed

Local server (one process owns EFI_HOME; other efi commands become its clients)
  server                the JSON API and web console on http://127.0.0.1:7270 (see efi server --help)

Config and data
  init FILE             sniff a sample file; write a commented config and its CREATE TABLE
  config validate|diff|apply|list|import-legacy|from-copy
                        config-as-code (YAML) for feeds: diff shows what apply would change, field by field
  sql "QUERY"           query the local warehouse

Every command takes --help; most take --json for scripts. --no-wait: fail at once
(instead of waiting up to EFI_LOCK_WAIT seconds, default 60) when another efi
process owns EFI_HOME and no efi server runs.
State lives in ./.efi (EFI_HOME moves it). Settings: see README "Configuration".
Exit status: 0 ok, 1 a run or check failed, 2 usage error, 75 EFI_HOME busy.`;

/** Commands that run a handful of queries: see main(). */
const BASELINE_WASM = new Set(['runs', 'show', 'logs', 'config', 'check', 'init']);

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(`${HELP}\n`);
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-v') {
    process.stdout.write('efi 0.1.0\n');
    return 0;
  }
  if (!COMMANDS[cmd] && cmd !== 'server') {
    process.stderr.write(`efi: unknown command ${JSON.stringify(cmd)}\n\n${HELP}\n`);
    return 2;
  }
  if (cmd === 'server') {
    const { serverCommand } = await import('./server/server.ts');
    return serverCommand(rest);
  }
  // One process owns EFI_HOME: talk to the running efi server, or hold the lock while running here.
  const { enterHome } = await import('./server/client.ts');
  const entry = await enterHome(cmd, rest);
  if (entry.kind === 'served') return entry.exitCode;
  // Short commands run PGlite's WebAssembly on V8's baseline compiler only: optimising its
  // hot functions in the background (V8's default tier-up) costs more CPU than a command of
  // a few queries saves (measured on efi runs: PGlite open + first query ~0.85 s -> ~0.5 s).
  // Commands that load or query data (ingest, redrive, sql, config import-legacy --sql, which
  // runs the original's scripts) keep the optimising tier.
  if (BASELINE_WASM.has(cmd) && !(cmd === 'config' && rest[0] === 'import-legacy'))
    (await import('node:v8')).setFlagsFromString('--liftoff-only');
  const [{ createContext }, { runCommand }] = await Promise.all([import('./context.ts'), import('./dispatch.ts')]);
  try {
    let ctx: CliContext;
    try {
      ctx = createContext(entry.argv.includes('--json'));
    } catch (e) {
      process.stderr.write(`efi ${cmd}: ${(e as Error).message}\n`);
      return 1;
    }
    return await runCommand(cmd, entry.argv, ctx);
  } finally {
    await shutdown();
    entry.lock?.release();
  }
}

/** Closes what commands opened (PGlite flushes its data dir on close). */
async function shutdown(): Promise<void> {
  const { closeConfigDb } = await import('../functions/lib/adapters/config-db/connect.ts').catch(() => ({
    closeConfigDb: null,
  }));
  await closeConfigDb?.().catch(() => {});
  const { closePglite } = await import('../functions/lib/adapters/postgres/pglite.ts');
  await closePglite().catch(() => {});
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
