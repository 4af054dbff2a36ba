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

/** `--only` matches a case name part ignoring case and hyphens: 'end to end' finds 'end-to-end ...'. */
function caseKey(name: string): string {
  return name.toLowerCase().replace(/[-\s]+/g, ' ');
}

async function file(key: string, rows: number) {
  const p = path.join(STORE_ROOT, BUCKET, key);
  const t0 = performance.now();
  const f = await ensureCsv(p, rows);
  const ms = performance.now() - t0;
  if (ms > 1000)
    console.log(`generated ${key} (${(f.bytes / 1024 / 1024).toFixed(0)} MB) in ${(ms / 1000).toFixed(1)} s`);
  return { key, path: p, bytes: f.bytes, rows };
}

const ctx: BenchContext = {
  small: await file('rows-1m.csv', 1_000_000),
  large: skip1gb ? null : await file('rows-10m.csv', 10_000_000),
  repeat,
};

function withoutPath<T extends { path: string }>(f: T): Omit<T, 'path'> {
  const { path: _path, ...rest } = f;
  return rest;
}

// Each row and check names its case, so a partial run (--only) can replace that case's figures in results.json.
type Tagged<T> = T & { case?: string };
const rows: Tagged<BenchRow>[] = [];
const checks: Tagged<BenchCheck>[] = [];
const ran: string[] = [];
for (const c of benchCases) {
  if (only && !caseKey(c.name).includes(caseKey(only))) continue;
  console.log(`running: ${c.name}`);
  const r = await c.run(ctx);
  ran.push(c.name);
  rows.push(...r.rows.map((x) => ({ ...x, case: c.name })));
  checks.push(...r.checks.map((x) => ({ ...x, case: c.name })));
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

// --only: keep the other cases' figures from the last results.json (untagged rows predate tagging: kept).
const resultsUrl = new URL('./results.json', import.meta.url);
const previous = only
  ? (JSON.parse(await fs.readFile(resultsUrl, 'utf8').catch(() => '{}')) as {
      rows?: Tagged<BenchRow>[];
      checks?: Tagged<BenchCheck>[];
      at?: string;
      partial?: { othersFrom?: string | null };
    })
  : {};
const kept = <T extends { case?: string }>(xs: T[] | undefined) =>
  (xs ?? []).filter((x) => !ran.includes(x.case ?? ''));

const results = {
  at: new Date().toISOString(),
  ...(only ? { partial: { only, ran, othersFrom: previous.partial?.othersFrom ?? previous.at ?? null } } : {}),
  machine: {
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? null,
    memGB: os.totalmem() / 2 ** 30,
  },
  // Without their paths: results.json is committed and must not name this machine's folders.
  files: { small: withoutPath(ctx.small), large: ctx.large && withoutPath(ctx.large) },
  rows: [...kept(previous.rows), ...rows],
  checks: [...kept(previous.checks), ...checks],
};
await fs.writeFile(resultsUrl, `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwrote bench/results.json');
