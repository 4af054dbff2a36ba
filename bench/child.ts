import { runPreprocessOnly, runValidate } from './workloads.ts';

/**
 * One workload in a fresh process, so its peak RSS (maxRSS) is its own:
 * `tsx bench/child.ts validate|preprocess <key> <size>` prints one JSON line.
 */
const [op, key, sizeText] = process.argv.slice(2);
if ((op !== 'validate' && op !== 'preprocess') || !key || !sizeText) {
  console.error('usage: tsx bench/child.ts validate|preprocess <key> <size>');
  process.exit(2);
}
const size = Number(sizeText);
const t0 = performance.now();
const validation = await runValidate(key, size);
const validateMs = performance.now() - t0;
let preprocessMs: number | null = null;
if (op === 'preprocess') {
  const t1 = performance.now();
  await runPreprocessOnly(key, size, `rss-${process.pid}`, validation);
  preprocessMs = performance.now() - t1;
}
console.log(
  JSON.stringify({
    op,
    key,
    size,
    records: validation.recordsInFile,
    validateMs,
    preprocessMs,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
