import { runValidate } from './workloads.ts';
const size = (await import('node:fs')).statSync('bench/.data/store/bench/rows-1m.csv').size;
for (let i = 0; i < 4; i++) {
  const t = performance.now();
  const r = await runValidate('rows-1m.csv', size);
  console.log((performance.now() - t).toFixed(0), 'ms', r.recordsInFile, process.memoryUsage().rss >> 20, 'MB');
}
process.exit(0);
