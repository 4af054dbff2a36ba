import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CliContext } from '../../cli/context.ts';
import { closeConfigDb } from '../../functions/lib/adapters/config-db/connect.ts';
import { closePglite } from '../../functions/lib/adapters/postgres/pglite.ts';
import { loadSettings } from '../../functions/lib/settings.ts';

/** A real, empty EFI_HOME for CLI command tests, and a way to call commands in it capturing their output. */
export interface CliHome {
  home: string;
  env: Record<string, string>;
  run(
    command: (argv: string[], ctx: CliContext) => Promise<number>,
    argv: string[],
  ): Promise<{ code: number; out: string; err: string }>;
  close(): Promise<void>;
}

/** `extraEnv` points the home elsewhere, e.g. `EFI_WAREHOUSE` / `EFI_CONFIG_DB` at a PostgreSQL URL. */
export function cliHome(prefix: string, extraEnv: Record<string, string> = {}): CliHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `efi-${prefix}-`));
  const env = { ...extraEnv, EFI_HOME: home };
  const settings = loadSettings(env);
  return {
    home,
    env,
    async run(command, argv) {
      const out: string[] = [];
      const err: string[] = [];
      const ctx: CliContext = {
        settings,
        json: argv.includes('--json'),
        tty: false,
        out: (s) => out.push(s),
        err: (s) => err.push(s),
      };
      // The CLI's main() turns these into exit 2; commands called directly throw them.
      try {
        const code = await command(argv, ctx);
        return { code, out: out.join('\n'), err: err.join('\n') };
      } catch (e) {
        const usage = (e as Error).name === 'UsageError' || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
        if (!usage) throw e;
        return { code: 2, out: out.join('\n'), err: [...err, (e as Error).message].join('\n') };
      }
    },
    async close() {
      await closeConfigDb();
      await closePglite();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
