import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BenchCheck, type BenchContext, type BenchRow, benchCases } from './cases.ts';
import { ensureCsv } from './data.ts';
import { BUCKET, STORE_ROOT } from './workloads.ts';

/**
 * `npm run bench [-- --skip-1gb] [--repeat N] [--only NAME]`: generates the
 * inputs once (cached in bench/.data), runs every case in cases.ts, prints a
 * table and writes bench/results.json.
 */
const args = process.argv.slice(2);
const skip1gb = args.includes('--skip-1gb');
const repeatAt = args.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Number(args[repeatAt + 1]) : 5;
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;

async function file(key: string, rows: number) {
  const p = path.join(STORE_ROOT, BUCKET, key);
  const t0 = performance.now();
  const f = await ensureCsv(p, rows);
  const ms = performance.now() - t0;
  if (ms > 1000)
    console.log(`generated ${key} (${(f.bytes / 1024 / 1024).toFixed(0)} MB) in ${(ms / 1000).toFixed(1)} s`);
  return { key, path: p, bytes: f.bytes, rows };
}

function pathFree(f: { key: string; bytes: number; rows: number }) {
  return { key: f.key, bytes: f.bytes, rows: f.rows };
}

const ctx: BenchContext = {
  small: await file('rows-1m.csv', 1_000_000),
  large: skip1gb ? null : await file('rows-10m.csv', 10_000_000),
  repeat,
};

const rows: BenchRow[] = [];
const checks: BenchCheck[] = [];
for (const c of benchCases) {
  if (only && !c.name.includes(only)) continue;
  console.log(`running: ${c.name}`);
  const r = await c.run(ctx);
  rows.push(...r.rows);
  checks.push(...r.checks);
}

const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);
console.log();
console.log(`${pad('case', 42)}${pad('file', 14)}${lpad('ms', 9)}${lpad('MB/s', 9)}${lpad('maxRSS MB', 11)}  note`);
for (const r of rows) {
  console.log(
    `${pad(r.name, 42)}${pad(r.file, 14)}${lpad(r.ms.toFixed(0), 9)}${lpad(r.mbPerSec?.toFixed(0) ?? '', 9)}${lpad(r.maxRssMB?.toFixed(0) ?? '', 11)}  ${r.note ?? ''}`,
  );
}
console.log();
for (const c of checks) console.log(`${c.ok ? 'PASS' : 'MISS'}  ${pad(c.target, 46)} ${c.measured}`);

const results = {
  at: new Date().toISOString(),
  machine: {
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? null,
    memGB: os.totalmem() / 2 ** 30,
  },
  // Path-free: the file's name, size and rows say what was measured; where it sat on this machine does not.
  files: { small: pathFree(ctx.small), large: ctx.large && pathFree(ctx.large) },
  rows,
  checks,
};
await fs.writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwrote bench/results.json');
