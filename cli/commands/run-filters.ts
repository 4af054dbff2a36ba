import { UsageError } from '../context.ts';

/**
 * Argument parsing shared by `efi runs` and efi server's `GET /api/runs`:
 * statuses, counts and time bounds (ISO dates or relative ages), checked with
 * messages that say what was expected.
 */

/** What a run list filters by: the run's status or its execution's (either vocabulary). */
export const RUN_STATUSES = ['FINISHED', 'FAILED', 'ABORTED', 'SKIPPED', 'RUNNING', 'SUCCEEDED', 'TIMED_OUT'];

/** A status to filter by, any case, as its upper-case name. */
export function parseRunStatus(flag: string, value: string): string {
  const status = value.toUpperCase();
  if (!RUN_STATUSES.includes(status))
    throw new UsageError(`${flag} ${value}: expected one of ${RUN_STATUSES.join(', ')}`);
  return status;
}

const RELATIVE = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
// 2026-12-01, 2026-12-01T10:00, 2026-12-01 10:00:00, with optional seconds fraction and zone.
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * `2h`, `3d`, `30m`, `90s`, `1w` (that long before `now`), or an ISO date or
 * date-time (no zone = UTC).
 *
 * @example parseWhen('--since', '2h', new Date('2026-12-01T12:00Z')) // 2026-12-01T10:00Z
 */
export function parseWhen(flag: string, value: string, now = new Date()): Date {
  const v = value.trim();
  const rel = RELATIVE.exec(v);
  if (rel) return new Date(now.getTime() - Number(rel[1]) * UNIT_MS[rel[2]!]!);
  if (ISO.test(v)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(v) || v.length === 10 ? v : `${v}Z`;
    const d = new Date(v.length === 10 ? `${v}T00:00:00Z` : zoned.replace(' ', 'T'));
    if (!Number.isNaN(d.getTime()) && sameCalendarDay(v, d)) return d;
    throw new UsageError(`${flag} ${value}: not a real date`);
  }
  throw new UsageError(
    `${flag} ${value}: expected an ISO date (2026-12-01, 2026-12-01T10:00Z) or an age like 30m, 2h, 3d, 1w`,
  );
}

/**
 * An upper bound (`--until`, the API's `until`), exclusive: as parseWhen,
 * except that a bare date includes that whole day (UTC), so
 * `--since 2026-11-30 --until 2026-11-30` lists that day's runs.
 *
 * @example parseUntil('--until', '2026-11-30') // 2026-12-01T00:00Z
 */
export function parseUntil(flag: string, value: string, now = new Date()): Date {
  const at = parseWhen(flag, value, now);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value.trim())) at.setUTCDate(at.getUTCDate() + 1);
  return at;
}

/** Date() rolls 2026-02-30 over to March: refuse it instead. */
function sameCalendarDay(text: string, d: Date): boolean {
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10 && !text.endsWith('Z')) return true;
  return d.toISOString().slice(0, 10) === text.slice(0, 10);
}

/** A positive whole number flag. */
export function parseCount(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} ${value}: expected a positive whole number`);
  return n;
}

/** A whole number flag that may be 0 (an offset). */
export function parseOffset(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new UsageError(`${flag} ${value}: expected a whole number (0 or more)`);
  return n;
}

/** 1234 → "1.2 s", 83_000 → "1m 23s", 420 → "420 ms". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
