import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../cli/context.ts';
import { runCommand } from '../../cli/dispatch.ts';
import { loadSettings } from '../../functions/lib/settings.ts';

async function run(cmd: string, argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const ctx: CliContext = {
    settings: loadSettings({ EFI_HOME: '/nonexistent/efi-dispatch-test' }),
    json: false,
    tty: false,
    out: () => {},
    err: (s) => err.push(s),
  };
  const code = await runCommand(cmd, argv, ctx);
  return { code, err: err.join('\n') };
}

describe('a usage error', () => {
  it.each([
    ['ingest', [], 'efi ingest needs at least one FILE'],
    ['sql', ['SELECT 1', '--json', '--csv'], 'efi sql: choose one of --json and --csv'],
    ['upload', ['x.csv'], 'efi upload needs --bucket NAME'],
    ['runs', ['--bogus'], "efi runs: Unknown option '--bogus'"],
  ])('of efi %s names the command once and points to its --help, exit 2', async (cmd, argv, first) => {
    const r = await run(cmd, argv);
    expect(r.code).toBe(2);
    const [line, hint] = r.err.split('\n');
    expect(line?.startsWith(first)).toBe(true);
    expect(line).not.toContain(`efi ${cmd}: efi ${cmd}`);
    expect(hint).toBe(`Run efi ${cmd} --help for usage.`);
  });
});
