import { classifyError, EfiError } from '../functions/lib/errors.ts';
import { type CliContext, createContext, UsageError } from './context.ts';

export const HELP = `efi — External File Ingestion: load files dropped in S3 into Redshift,
or locally into embedded PostgreSQL, through one Step Functions state machine.

Usage: efi <command> [options]

Running files
  ingest FILE...        put files in the landing prefix and run the state machine on each
  demo                  apply the sample configs and ingest the bundled sample files
  watch DIR             ingest every file that appears in DIR (plays the S3 event)
  check FILE            match, validate and type-check a file as a run would, moving and loading nothing

Operating runs (local history; with EFI_STATE_MACHINE_ARN, the deployed state machine)
  upload FILE...        upload files to the deployed landing bucket
  runs                  list runs: feed, status, duration, rows, file, error; filter by
                        --feed, --status, --since/--until (2026-12-01, 2h, 3d), --file
  show RUN              one run: where its file is now, states with durations; --full, --state NAME
  logs RUN              a run's event history, like get-execution-history
  redrive RUN           resume a failed run at the state that failed

Config and data
  init FILE             sniff a sample file; write a commented config and its CREATE TABLE
  config validate|diff|apply|list|import-legacy
                        config-as-code (YAML) for feeds: diff shows what apply would change, field by field
  sql "QUERY"           query the local warehouse

Every command takes --help; most take --json for scripts.
State lives in ./.efi (EFI_HOME moves it). Settings: see README "Configuration".
Exit status: 0 ok, 1 a run or check failed, 2 usage error.`;

type Command = (argv: string[], ctx: CliContext) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  ingest: async () => (await import('./commands/ingest.ts')).ingestCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  watch: async () => (await import('./commands/watch.ts')).watchCommand,
  check: async () => (await import('./commands/check.ts')).checkCommand,
  init: async () => (await import('./commands/init.ts')).initCommand,
  runs: async () => (await import('./commands/runs.ts')).runsCommand,
  show: async () => (await import('./commands/runs.ts')).showCommand,
  logs: async () => (await import('./commands/logs.ts')).logsCommand,
  redrive: async () => (await import('./commands/runs.ts')).redriveCommand,
  upload: async () => (await import('./commands/upload.ts')).uploadCommand,
  sql: async () => (await import('./commands/sql.ts')).sqlCommand,
  config: async () => (await import('./commands/config.ts')).configCommand,
};

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
  const load = COMMANDS[cmd];
  if (!load) {
    process.stderr.write(`efi: unknown command ${JSON.stringify(cmd)}\n\n${HELP}\n`);
    return 2;
  }
  let ctx: CliContext | null = null;
  try {
    ctx = createContext(rest.includes('--json'));
    return await (await load())(rest, ctx);
  } catch (e) {
    const err = ctx?.err ?? ((s: string) => process.stderr.write(`${s}\n`));
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`efi ${cmd}: ${(e as Error).message}\nRun efi ${cmd} --help for usage.`);
      return 2;
    }
    // Driver and SDK errors that clear by themselves (a lost connection) are one line too, not a stack.
    const classified = classifyError(e);
    if (classified instanceof EfiError) {
      err(`efi ${cmd}: ${classified.name}: ${classified.message}`);
      return 1;
    }
    // An AWS call that failed outside efi's control (cli/remote/errors.ts): its message says what to do.
    if ((e as { oneLine?: unknown }).oneLine === true) {
      err(`efi ${cmd}: ${(e as Error).message}`);
      return 1;
    }
    err(`efi ${cmd}: ${(e as Error).stack ?? String(e)}`);
    return 1;
  } finally {
    await shutdown();
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
