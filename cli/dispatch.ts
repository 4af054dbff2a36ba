import { classifyError, EfiError } from '../functions/lib/errors.ts';
import { COMMANDS } from './command-table.ts';
import { type CliContext, UsageError } from './context.ts';

/** How one command runs, shared by main.ts and efi server (which runs commands for its clients). */

export { COMMANDS, type Command } from './command-table.ts';

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
      // Many usage messages already start with the command ("efi ingest needs ..."): name it once.
      const message = (e as Error).message;
      const named = message.startsWith(`efi ${cmd} `) || message.startsWith(`efi ${cmd}:`);
      err(`${named ? message : `efi ${cmd}: ${message}`}\nRun efi ${cmd} --help for usage.`);
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
