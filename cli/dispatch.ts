import { classifyError, EfiError } from '../functions/lib/errors.ts';
import { type CliContext, UsageError } from './context.ts';

/** The command table and how one command runs, shared by main.ts and efi server (which runs commands for its clients). */

export type Command = (argv: string[], ctx: CliContext) => Promise<number>;

export const COMMANDS: Record<string, () => Promise<Command>> = {
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

/** Runs one command with the CLI's error reporting (also used by efi server for its clients). */
export async function runCommand(cmd: string, rest: string[], ctx: CliContext): Promise<number> {
  const load = COMMANDS[cmd];
  if (!load) {
    ctx.err(`efi: unknown command ${JSON.stringify(cmd)}`);
    return 2;
  }
  try {
    return await (await load())(rest, ctx);
  } catch (e) {
    const err = ctx.err;
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
  }
}
