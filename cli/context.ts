import pc from 'picocolors';
import { createDeps, type Deps } from '../functions/lib/compose.ts';
import type { StatusNotification } from '../functions/lib/ports/notifier.ts';
import { loadSettings, type Settings } from '../functions/lib/settings.ts';

/** What every command gets: settings, output channels, and whether to print JSON. */
export interface CliContext {
  settings: Settings;
  json: boolean;
  /** Colour and live progress only on a terminal. */
  tty: boolean;
  out: (s: string) => void;
  err: (s: string) => void;
}

export function createContext(json: boolean, env = process.env): CliContext {
  const tty = !!process.stdout.isTTY && !json && env['NO_COLOR'] === undefined;
  return {
    settings: loadSettings(env),
    json,
    tty,
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
  };
}

/** The local deps for CLI commands: notifications go to the outbox and are echoed to stderr for people. */
export function localDeps(ctx: CliContext): Deps {
  return createDeps(ctx.settings, {
    onNotification: ctx.json ? undefined : (n: StatusNotification) => ctx.err(pc.dim(`  notify: ${n.subject}`)),
  });
}

export const STATUS_COLOR: Record<string, (s: string) => string> = {
  FINISHED: pc.green,
  SUCCEEDED: pc.green,
  SKIPPED: pc.yellow,
  RUNNING: pc.cyan,
  FAILED: pc.red,
  ABORTED: pc.red,
  TIMED_OUT: pc.red,
  // State steps (efi show): a caught or retried state failed, whatever came after.
  CAUGHT: pc.red,
  RETRIED: pc.red,
};

export function colorStatus(ctx: CliContext, status: string): string {
  return ctx.tty ? (STATUS_COLOR[status] ?? ((s: string) => s))(status) : status;
}

/** Plain fixed-width table for people (JSON output never goes through here). */
export function table(rows: string[][], header: string[]): string {
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => strip(r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c + ' '.repeat(Math.max(0, widths[i]! - strip(c).length)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
