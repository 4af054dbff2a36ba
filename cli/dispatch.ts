import { EfiError } from '../functions/lib/errors.ts';
import { type CliContext, UsageError } from './context.ts';

/** The command table and how one command runs, shared by main.ts and efi server (which runs commands for its clients). */

export type Command = (argv: string[], ctx: CliContext) => Promise<number>;

export const COMMANDS: Record<string, () => Promise<Command>> = {
  ingest: async () => (await import('./commands/ingest.ts')).ingestCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  watch: async () => (await import('./commands/watch.ts')).watchCommand,
  runs: async () => (await import('./commands/runs.ts')).runsCommand,
  show: async () => (await import('./commands/runs.ts')).showCommand,
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
    if (e instanceof EfiError) {
      err(`efi ${cmd}: ${e.name}: ${e.message}`);
      return 1;
    }
    err(`efi ${cmd}: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}
