/**
 * Regenerates the bundled sample feeds in samples/files deterministically
 * (seeded), so the demo and the tests see the same bytes on every machine:
 *   npx tsx samples/generate.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'files');

/** mulberry32: tiny seeded PRNG, good enough for sample data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Ana',
  'Bram',
  'Chloé',
  'Dmitri',
  'Eilidh',
  'Femi',
  'Grace',
  'Hiro',
  'Inès',
  'Jonas',
  'Kavya',
  'Liam',
  'Seán',
  'Zoë',
];
const LAST = [
  "O'Brien",
  'Nakamura',
  'García',
  'Müller',
  'Okafor',
  'Smith',
  'Van der Berg',
  'Kowalski',
  'Rossi',
  'Haddad',
];
const COUNTRIES = ['GB', 'IE', 'DE', 'FR', 'NL', 'ES', 'PL', 'JP', 'NG', 'US'];
const SKUS = ['ESP-001', 'LAT-002', 'CAP-003', 'MOC-004', 'TEA-005', 'CRO-006', 'MUF-007', 'BAG-008'];

function pick<T>(r: () => number, xs: T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** Point-of-sale CSV with a header and a `TRAILER|<count>` trailer. */
function posSales(day: string, rows: number, seed: number, trailerCount = rows): string {
  const r = rng(seed);
  const lines = ['sale_id,store_id,sku,quantity,unit_price,sold_at'];
  for (let i = 1; i <= rows; i++) {
    const h = pad(7 + Math.floor(r() * 14), 2);
    const m = pad(Math.floor(r() * 60), 2);
    lines.push(
      [
        `${day.replace(/-/g, '')}${pad(i, 6)}`,
        100 + Math.floor(r() * 25),
        pick(r, SKUS),
        1 + Math.floor(r() * 4),
        (1.5 + r() * 6).toFixed(2),
        `${day} ${h}:${m}:00`,
      ].join(','),
    );
  }
  lines.push(`TRAILER|${trailerCount}`);
  return `${lines.join('\n')}\n`;
}

/** CRM extract: pipe-delimited, no header or trailer: loads as is, without preprocessing. */
function customers(rows: number, seed: number, badDateAtLine?: number): string {
  const r = rng(seed);
  const lines: string[] = [];
  for (let i = 1; i <= rows; i++) {
    const first = pick(r, FIRST);
    const last = pick(r, LAST);
    const email =
      `${first}.${last}`
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z.]/g, '') + '@example.com';
    const created =
      i === badDateAtLine
        ? '2026-02-30'
        : `2026-${pad(1 + Math.floor(r() * 10), 2)}-${pad(1 + Math.floor(r() * 28), 2)}`;
    lines.push([`C${pad(seed * 10000 + i, 8)}`, `${first} ${last}`, email, pick(r, COUNTRIES), created].join('|'));
  }
  return `${lines.join('\n')}\n`;
}

/** Stock snapshot: gzip, CRLF, quoted fields with commas, trailer `T` + 9-digit count at positions 2-10. */
function inventory(rows: number, seed: number): Buffer {
  const r = rng(seed);
  const lines = ['warehouse,sku,description,on_hand,counted_at'];
  const desc = ['Espresso beans, 1kg', 'Oat milk "barista", 1l', 'Paper cups, 12oz', 'Croissant (frozen), box of 24'];
  for (let i = 1; i <= rows; i++) {
    const d = pick(r, desc);
    lines.push(
      [
        `WH-${pick(r, ['LON', 'DUB', 'AMS'])}`,
        pick(r, SKUS),
        `"${d.replace(/"/g, '""')}"`,
        Math.floor(r() * 500),
        `2026-11-2${Math.floor(r() * 3)}T06:00:00Z`,
      ].join(','),
    );
  }
  lines.push(`T${pad(rows, 9)}`);
  return zlib.gzipSync(Buffer.from(`${lines.join('\r\n')}\r\n`), { level: 9, mtime: 0 } as zlib.ZlibOptions);
}

/**
 * Product flavours for the stage → validate → error table → core MERGE sample:
 * a few rows are invalid on purpose (no name, negative price) and end up in
 * core.flavor_error instead of core.flavor.
 */
function flavors(rows: number, seed: number): string {
  const r = rng(seed);
  const names = ['Hazelnut', 'Vanilla', 'Caramel', 'Pumpkin Spice', 'Gingerbread', 'Mint', 'Cinnamon', 'Maple'];
  const lines = ['flavor_code|flavor_name|price|valid_from'];
  for (let i = 1; i <= rows; i++) {
    const bad = i % 17 === 0;
    const name = bad && i % 2 ? '' : `${pick(r, names)} ${i}`;
    const price = bad && !(i % 2) ? '-0.50' : (0.3 + r() * 0.9).toFixed(2);
    lines.push([`FL${pad(i, 4)}`, name, price, `2026-${pad(1 + (i % 11), 2)}-01`].join('|'));
  }
  return `${lines.join('\n')}\n`;
}

fs.mkdirSync(OUT, { recursive: true });
const files: Record<string, string | Buffer> = {
  'sales_pos_20261121.csv': posSales('2026-11-21', 1200, 21),
  'sales_pos_20261122.csv': posSales('2026-11-22', 1500, 22),
  // Rejected: the trailer claims 1000 records, the file has 998.
  'sales_pos_20261123.csv': posSales('2026-11-23', 998, 23, 1000),
  'customers_20261122.txt': customers(800, 1),
  // Rejected by the warehouse: 2026-02-30 is not a date (line 57, column created_on).
  'customers_20261123.txt': customers(300, 2, 57),
  'inventory_20261122.csv.gz': inventory(640, 3),
  'flavors_20261122.csv': flavors(200, 4),
};
for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(OUT, name), body);
console.log(`wrote ${Object.keys(files).length} sample files to ${OUT}`);
