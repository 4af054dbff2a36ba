import type { CliContext } from './context.ts';

/**
 * The command table: each command's module, imported when the command runs.
 * Imports nothing at run time, so main.ts can check a command name without
 * loading the local path (a client of efi server never needs it).
 */

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
