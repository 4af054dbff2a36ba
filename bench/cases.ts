import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cliLatency } from './cli-latency.ts';
import { ingestVsBareCopy } from './e2e-ingest.ts';
import { largeIngestAndAbort } from './e2e-large.ts';
import { BENCH_CONFIG_UNQUOTED, BUCKET, runPreprocessOnly, runValidate, STORE_ROOT } from './workloads.ts';

/**
 * Bench cases. EXTENSION POINT: add a case to `benchCases` (e.g. the
 * end-to-end `efi ingest` vs bare COPY comparison); run.ts runs every case in
 * order and prints/records whatever rows and checks it returns.
 */

export interface BenchFile {
  key: string;
  path: string;
  bytes: number;
  rows: number;
}

export interface BenchContext {
  /** The ~100 MB, 1M-row file. */
  small: BenchFile;
  /** The ~1 GB file, or null with --skip-1gb. */
  large: BenchFile | null;
  /** Repetitions for timed runs (best of). */
  repeat: number;
}

/** One measured line of the table. */
export interface BenchRow {
  name: string;
  file: string;
  ms: number;
  mbPerSec: number | null;
  maxRssMB?: number;
  note?: string;
}

/** One target: what was required and whether it was met. */
export interface BenchCheck {
  target: string;
  measured: string;
  ok: boolean;
}

export interface BenchCaseResult {
  rows: BenchRow[];
  checks: BenchCheck[];
}

export interface BenchCase {
  name: string;
  run(ctx: BenchContext): Promise<BenchCaseResult>;
}

const MB = 1024 * 1024;

/**
 * Best of n for two workloads, run alternately after one untimed warm-up
 * each, so JIT warm-up and machine noise hit both sides alike.
 */
async function bestOfPair<A, B>(
  n: number,
  a: () => Promise<A>,
  b: () => Promise<B>,
): Promise<[{ ms: number; value: A }, { ms: number; value: B }]> {
  await a();
  await b();
  let msA = Number.POSITIVE_INFINITY;
  let msB = Number.POSITIVE_INFINITY;
  let va: A | undefined;
  let vb: B | undefined;
  for (let i = 0; i < n; i++) {
    let t0 = performance.now();
    va = await a();
    msA = Math.min(msA, performance.now() - t0);
    t0 = performance.now();
    vb = await b();
    msB = Math.min(msB, performance.now() - t0);
  }
  return [
    { ms: msA, value: va as A },
    { ms: msB, value: vb as B },
  ];
}

/** The reference: count lines with Buffer.indexOf(10), nothing else. */
async function bareLineCount(file: string): Promise<number> {
  let n = 0;
  // The same 1 MiB reads the object store uses, so only the scanning differs.
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let i = chunk.indexOf(10);
    while (i !== -1) {
      n++;
      i = chunk.indexOf(10, i + 1);
    }
  }
  return n;
}

export function spawnWait(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
    );
  });
}

const rate = (bytes: number, ms: number) => bytes / MB / (ms / 1000);

/** Removes bench output, ETag sidecars included (they are JSON files the linter would otherwise pick up). */
export async function clearProcessing(): Promise<void> {
  await fs.rm(path.join(STORE_ROOT, BUCKET, 'processing'), { recursive: true, force: true });
  await fs.rm(path.join(STORE_ROOT, '.meta', BUCKET, 'processing'), { recursive: true, force: true });
}

export const validateVsBareCount: BenchCase = {
  name: 'validate vs bare indexOf line count',
  async run({ small, repeat }) {
    const [bare, validate] = await bestOfPair(
      repeat,
      () => bareLineCount(small.path),
      () => runValidate(small.key, small.bytes),
    );
    if (validate.value.recordsInFile !== small.rows || bare.value !== small.rows + 1) {
      throw new Error(`record counts disagree: validate ${validate.value.recordsInFile}, bare ${bare.value}`);
    }
    // Same file, no quote character: shows what quote-parity tracking (2 extra indexOf per quoted row) costs.
    const [bare2, unquoted] = await bestOfPair(
      repeat,
      () => bareLineCount(small.path),
      () => runValidate(small.key, small.bytes, BENCH_CONFIG_UNQUOTED),
    );
    const ratio = bare.ms / validate.ms;
    const ratioUnquoted = bare2.ms / unquoted.ms;
    return {
      rows: [
        { name: 'bare Buffer.indexOf(10) count', file: small.key, ms: bare.ms, mbPerSec: rate(small.bytes, bare.ms) },
        {
          name: 'validateFile (quote ")',
          file: small.key,
          ms: validate.ms,
          mbPerSec: rate(small.bytes, validate.ms),
          note: 'every row has a quoted field',
        },
        { name: 'bare Buffer.indexOf(10) count', file: small.key, ms: bare2.ms, mbPerSec: rate(small.bytes, bare2.ms) },
        {
          name: 'validateFile (quote: null)',
          file: small.key,
          ms: unquoted.ms,
          mbPerSec: rate(small.bytes, unquoted.ms),
        },
      ],
      checks: [
        { target: 'validate >= 0.8x bare count (quoted CSV)', measured: `${ratio.toFixed(2)}x`, ok: ratio >= 0.8 },
        {
          target: 'validate >= 0.8x bare count (no quote char)',
          measured: `${ratioUnquoted.toFixed(2)}x`,
          ok: ratioUnquoted >= 0.8,
        },
      ],
    };
  },
};

export const preprocessVsGzip: BenchCase = {
  name: 'preprocess vs gzip -1',
  async run({ small, repeat }) {
    const validation = await runValidate(small.key, small.bytes);
    let n = 0;
    const [gzip, pre] = await bestOfPair(
      repeat,
      () => spawnWait('sh', ['-c', `gzip -1 -c '${small.path}' > /dev/null`]),
      async () => {
        const p = await runPreprocessOnly(small.key, small.bytes, `bench-${n++}`, validation);
        await clearProcessing();
        return p;
      },
    );
    const parts = pre.value.targets[0]?.partCount ?? 0;
    const ratio = pre.ms / gzip.ms;
    return {
      rows: [
        { name: 'gzip -1 -c > /dev/null', file: small.key, ms: gzip.ms, mbPerSec: rate(small.bytes, gzip.ms) },
        {
          name: 'preprocess (strip header, gzip-1 parts)',
          file: small.key,
          ms: pre.ms,
          mbPerSec: rate(small.bytes, pre.ms),
          note: `${parts} part(s)`,
        },
      ],
      checks: [{ target: 'preprocess wall <= gzip -1', measured: `${ratio.toFixed(2)}x gzip time`, ok: ratio <= 1 }],
    };
  },
};

async function childRun(op: 'validate' | 'preprocess', file: BenchFile) {
  const tsx = path.resolve('node_modules/.bin/tsx');
  const out = await spawnWait(tsx, ['bench/child.ts', op, file.key, String(file.bytes)]);
  await clearProcessing();
  return JSON.parse(out.trim().split('\n').pop()!) as {
    validateMs: number;
    preprocessMs: number | null;
    maxRssMB: number;
  };
}

export const peakRss: BenchCase = {
  name: 'peak RSS at 100 MB and 1 GB',
  async run({ small, large }) {
    const rows: BenchRow[] = [];
    const checks: BenchCheck[] = [];
    for (const op of ['validate', 'preprocess'] as const) {
      const a = await childRun(op, small);
      const ms = op === 'validate' ? a.validateMs : a.preprocessMs!;
      rows.push({
        name: `${op} (child process)`,
        file: small.key,
        ms,
        mbPerSec: rate(small.bytes, ms),
        maxRssMB: a.maxRssMB,
      });
      if (!large) continue;
      const b = await childRun(op, large);
      const msL = op === 'validate' ? b.validateMs : b.preprocessMs!;
      rows.push({
        name: `${op} (child process)`,
        file: large.key,
        ms: msL,
        mbPerSec: rate(large.bytes, msL),
        maxRssMB: b.maxRssMB,
      });
      checks.push({
        target: `${op}: RSS at 1 GB <= 1.2x RSS at 100 MB`,
        measured: `${b.maxRssMB.toFixed(0)} MB vs ${a.maxRssMB.toFixed(0)} MB (${(b.maxRssMB / a.maxRssMB).toFixed(2)}x)`,
        ok: b.maxRssMB <= 1.2 * a.maxRssMB,
      });
      checks.push({
        target: `${op}: RSS at 1 GB <= 200 MB`,
        measured: `${b.maxRssMB.toFixed(0)} MB`,
        ok: b.maxRssMB <= 200,
      });
    }
    return { rows, checks };
  },
};

/** Every case run.ts runs, in order. Add new cases here. */
export const benchCases: BenchCase[] = [
  validateVsBareCount,
  preprocessVsGzip,
  peakRss,
  ingestVsBareCopy,
  largeIngestAndAbort,
  cliLatency,
];
