import path from 'node:path';
import { type BenchCase, type BenchCheck, type BenchRow, spawnWait } from './cases.ts';

/**
 * The ~1 GB file end to end on the embedded default (PGlite), each run in a
 * child process (bench/ingest-child.ts) so its peak RSS is its own: one
 * ingest that must end FINISHED with every row, and one aborted (as Ctrl-C
 * does) when half the bytes reached the warehouse, which must leave zero
 * rows, the file in landing, and take effect within one COPY chunk.
 */

interface ChildResult {
  mode: 'finish' | 'abort';
  status: string;
  ms: number;
  /** A bare COPY of the same file into the same database (finish mode). */
  bareCopyMs: number | null;
  rows: number;
  bytes: number;
  historyEvents: number;
  cancelMs: number | null;
  abortedAtBytes: number;
  fileInLanding: boolean;
  maxRssMB: number;
}

const MB = 1024 * 1024;

async function child(file: string, mode: 'finish' | 'abort'): Promise<ChildResult> {
  const out = await spawnWait(path.resolve('node_modules/.bin/tsx'), ['bench/ingest-child.ts', file, mode]);
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

export const largeIngestAndAbort: BenchCase = {
  name: '1 GB end-to-end ingest and abort (PGlite)',
  async run({ large }) {
    const rows: BenchRow[] = [];
    const checks: BenchCheck[] = [];
    if (!large) {
      checks.push({ target: '1 GB end-to-end ingest', measured: 'skipped (--skip-1gb)', ok: false });
      return { rows, checks };
    }
    const done = await child(large.path, 'finish');
    rows.push({
      name: 'efi ingest 1 GB, PGlite (child)',
      file: large.key,
      ms: done.ms,
      mbPerSec: done.bytes / MB / (done.ms / 1000),
      maxRssMB: done.maxRssMB,
      note: `${done.status}, ${done.rows} rows, ${done.historyEvents} history events`,
    });
    if (done.bareCopyMs !== null) {
      rows.push({
        name: 'bare COPY 1 GB, PGlite (16 MiB slices)',
        file: large.key,
        ms: done.bareCopyMs,
        mbPerSec: done.bytes / MB / (done.bareCopyMs / 1000),
      });
      checks.push({
        target: 'PGlite 1 GB: end-to-end <= 1.3x bare COPY',
        measured: `${(done.ms / done.bareCopyMs).toFixed(2)}x`,
        ok: done.ms <= 1.3 * done.bareCopyMs,
      });
    }
    checks.push({
      target: '1 GB ingest ends FINISHED with every row',
      measured: `${done.status}, ${done.rows} of ${large.rows} rows`,
      ok: done.status === 'FINISHED' && done.rows === large.rows,
    });
    checks.push({
      target: '1 GB ingest writes < 1,000 history events',
      measured: String(done.historyEvents),
      ok: done.historyEvents < 1000,
    });

    const stopped = await child(large.path, 'abort');
    rows.push({
      name: 'efi ingest 1 GB aborted at half, PGlite',
      file: large.key,
      ms: stopped.ms,
      mbPerSec: null,
      maxRssMB: stopped.maxRssMB,
      note: `${stopped.status}, ${stopped.rows} rows, cancel took ${stopped.cancelMs?.toFixed(0)} ms at ${(stopped.abortedAtBytes / MB).toFixed(0)} MB`,
    });
    checks.push({
      target: 'abort of the 1 GB load leaves zero rows',
      measured: `${stopped.status}, ${stopped.rows} rows, file in landing: ${stopped.fileInLanding}`,
      ok: stopped.status === 'ABORTED' && stopped.rows === 0 && stopped.fileInLanding,
    });
    checks.push({
      target: 'abort takes effect within 2 s',
      measured: `${stopped.cancelMs?.toFixed(0)} ms`,
      ok: stopped.cancelMs !== null && stopped.cancelMs < 2000,
    });
    return { rows, checks };
  },
};
