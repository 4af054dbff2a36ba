import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { rng } from '../samples/prng.ts';

/**
 * Benchmark input: an 8-column CSV with a header, about 104 bytes a row, a
 * quoted field containing the delimiter on every row. Generated once,
 * streaming, and cached under bench/.data.
 */

export const HEADER = ['id', 'code', 'name', 'email', 'amount', 'day', 'note', 'country'];

const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
const COUNTRIES = ['NL', 'DE', 'FR', 'BE', 'US', 'GB', 'ES', 'IT'];

function row(i: number, r: () => number): string {
  const name = `${NAMES[Math.floor(r() * NAMES.length)]} ${NAMES[Math.floor(r() * NAMES.length)]}`;
  const code = Math.floor(r() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  const amount = (r() * 100000).toFixed(2);
  const day = `2024-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`;
  const note = `"order ${i}, ${NAMES[i % NAMES.length]} ${'x'.repeat(Math.floor(r() * 12))}"`;
  return `${i},${code},${name},${name.replace(' ', '.')}@example.com,${amount},${day},${note},${COUNTRIES[i % COUNTRIES.length]}\n`;
}

/** Writes `rows` data rows (plus header) to file unless it already exists with a completion marker. */
export async function ensureCsv(file: string, rows: number): Promise<{ file: string; bytes: number; rows: number }> {
  const marker = `${file}.done`;
  try {
    await fs.access(marker);
    const st = await fs.stat(file);
    return { file, bytes: st.size, rows };
  } catch {
    // generate below
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file, { highWaterMark: 1024 * 1024 });
  const r = rng(42);
  out.write(`${HEADER.join(',')}\n`);
  let batch = '';
  for (let i = 1; i <= rows; i++) {
    batch += row(i, r);
    if (batch.length > 1024 * 1024) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end(batch);
  await once(out, 'finish');
  await fs.writeFile(marker, '');
  const st = await fs.stat(file);
  return { file, bytes: st.size, rows };
}
