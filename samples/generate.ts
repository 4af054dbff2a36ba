/**
 * Regenerates the bundled sample feeds in samples/files deterministically
 * (seeded), so the demo and the tests see the same bytes on every machine:
 *   npx tsx samples/generate.ts
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { rng } from './prng.ts';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'files');

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

/**
 * Web-shop orders in one multi-layout file, the way the original framework
 * split them: the first two characters are the record type ('01' order
 * header, '02' order line), pipe-delimited, each type to its own table; the
 * `99|<count>` trailer counts every data record. `giftAfterOrder` adds a '03'
 * gift-message record after that order: a record type no config knows.
 */
function orders(day: string, count: number, seed: number, giftAfterOrder?: number): string {
  const r = rng(seed);
  const lines: string[] = [];
  for (let o = 1; o <= count; o++) {
    const orderId = `${day.replace(/-/g, '')}${pad(o, 4)}`;
    const items: string[] = [];
    let cents = 0;
    const n = 1 + Math.floor(r() * 4);
    for (let l = 1; l <= n; l++) {
      const qty = 1 + Math.floor(r() * 3);
      const price = 200 + Math.floor(r() * 1800);
      cents += qty * price;
      items.push(['02', orderId, l, pick(r, SKUS), qty, (price / 100).toFixed(2)].join('|'));
    }
    const customer = `C${pad(10000 + 1 + Math.floor(r() * 800), 8)}`;
    lines.push(['01', orderId, customer, day, pick(r, ['GBP', 'EUR']), (cents / 100).toFixed(2)].join('|'));
    lines.push(...items);
    if (o === giftAfterOrder) lines.push(['03', orderId, 'Happy birthday, Zoë! Love, Femi'].join('|'));
  }
  lines.push(`99|${lines.length}`);
  return `${lines.join('\n')}\n`;
}

/** Carrier tracking events, CSV with a header; delivered bzip2- or zstd-compressed. */
function shipments(day: string, rows: number, seed: number): string {
  const r = rng(seed);
  const lines = ['shipment_id,order_id,carrier,status,event_at,weight_kg'];
  const carriers = ['DHL', 'UPS', 'An Post', 'PostNL', 'DPD'];
  const statuses = ['LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED'];
  for (let i = 1; i <= rows; i++) {
    lines.push(
      [
        `SH${day.replace(/-/g, '')}${pad(i, 5)}`,
        `20261122${pad(1 + Math.floor(r() * 120), 4)}`,
        pick(r, carriers),
        pick(r, statuses),
        `${day}T${pad(6 + Math.floor(r() * 14), 2)}:${pad(Math.floor(r() * 60), 2)}:00Z`,
        (0.2 + r() * 9).toFixed(3),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Runs a system compressor; without it, keeps the file already checked in (tests never need the tools). */
function compressWith(tool: string, args: string[], input: string, name: string): Buffer {
  try {
    return execFileSync(tool, args, { input: Buffer.from(input) });
  } catch (e) {
    const existing = path.join(OUT, name);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(existing)) {
      console.warn(`${tool} is not installed: keeping the checked-in ${name}`);
      return fs.readFileSync(existing);
    }
    throw e;
  }
}

/** windows-1252 bytes for 0x80-0x9F (the rest of the code page is Latin-1). */
const CP1252_HIGH: Record<string, number> = {
  '€': 0x80,
  '‚': 0x82,
  ƒ: 0x83,
  '„': 0x84,
  '…': 0x85,
  '†': 0x86,
  '‡': 0x87,
  ˆ: 0x88,
  '‰': 0x89,
  Š: 0x8a,
  '‹': 0x8b,
  Œ: 0x8c,
  Ž: 0x8e,
  '‘': 0x91,
  '’': 0x92,
  '“': 0x93,
  '”': 0x94,
  '•': 0x95,
  '–': 0x96,
  '—': 0x97,
  '˜': 0x98,
  '™': 0x99,
  š: 0x9a,
  '›': 0x9b,
  œ: 0x9c,
  ž: 0x9e,
  Ÿ: 0x9f,
};

function windows1252(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const b = c < 0x80 || (c >= 0xa0 && c <= 0xff) ? c : CP1252_HIGH[ch];
    if (b === undefined) throw new Error(`${JSON.stringify(ch)} has no windows-1252 byte`);
    out.push(b);
  }
  return Buffer.from(out);
}

/**
 * Loyalty members exported by a Windows tool: windows-1252 (accents, €, curly
 * quotes, en dash), ';'-delimited, CRLF, a quoted note when it holds a ';'.
 */
function members(rows: number, seed: number): Buffer {
  const r = rng(seed);
  const cities = ['Besançon', 'Köln', 'Málaga', 'Zürich', 'Dún Laoghaire', 'Reykjavík', 'Århus', 'Galway'];
  const notes = [
    '“Café crème” regular – owes €12.50',
    'Prefers ‘oat’ milk…',
    '"Loves flat whites; hates queues"',
    'Crème brûlée fan — ask about Bœuf pie',
    'Gift card €25 ™ promo',
    '',
  ];
  const lines = [
    'member_id;full_name;city;tier;points;joined_on;note',
    'M000001;Chloé O’Brien;Besançon;Gold;1250;2024-03-01;“Café crème” regular – owes €12.50',
    'M000002;Seán Müller;Köln;Silver;430;2025-07-15;Prefers ‘oat’ milk…',
  ];
  for (let i = 3; i <= rows; i++) {
    lines.push(
      [
        `M${pad(i, 6)}`,
        `${pick(r, FIRST)} ${pick(r, LAST)}`,
        pick(r, cities),
        pick(r, ['Bronze', 'Silver', 'Gold']),
        Math.floor(r() * 5000),
        `202${3 + Math.floor(r() * 3)}-${pad(1 + Math.floor(r() * 12), 2)}-${pad(1 + Math.floor(r() * 28), 2)}`,
        pick(r, notes),
      ].join(';'),
    );
  }
  return windows1252(`${lines.join('\r\n')}\r\n`);
}

/**
 * Support tickets: RFC 4180 CSV whose text fields hold commas, doubled quotes
 * and line breaks inside quotes (one record over several physical lines); the
 * trailer counts records, not lines.
 */
function tickets(rows: number, seed: number): string {
  const r = rng(seed);
  const csv = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const subjects = ['Refund, please', 'Wrong order', 'App login', 'Barista said "no"', 'Loyalty points', 'Delivery'];
  const bodies = [
    'Charged twice, please refund one',
    'Ordered a "large" latte, got a small one',
    'Deliver to:\nFlat 2, 10 Quay Street\nGalway',
    'Points missing since Tuesday',
    'Password reset mail never arrives',
    'Cup lid leaked,\nstained my "good" shirt',
  ];
  const lines = ['ticket_id,customer_id,opened_at,subject,body,priority'];
  const fixed: string[][] = [
    [
      'T000001',
      'C00010001',
      '2026-11-22 08:15:00',
      'Refund, please',
      'Charged twice for order 202611220001, refund one',
      '2',
    ],
    [
      'T000002',
      'C00010002',
      '2026-11-22 08:40:00',
      'Barista said "no"',
      'I asked for "extra hot", was told "no", twice',
      '3',
    ],
    [
      'T000003',
      'C00010003',
      '2026-11-22 09:05:00',
      'Wrong address',
      'Deliver to:\nFlat 2, 10 Quay Street\nGalway',
      '1',
    ],
  ];
  for (const f of fixed) lines.push(f.map(csv).join(','));
  for (let i = fixed.length + 1; i <= rows; i++) {
    lines.push(
      [
        `T${pad(i, 6)}`,
        `C${pad(10000 + 1 + Math.floor(r() * 800), 8)}`,
        `2026-11-22 ${pad(9 + Math.floor(r() * 12), 2)}:${pad(Math.floor(r() * 60), 2)}:00`,
        pick(r, subjects),
        pick(r, bodies),
        String(1 + Math.floor(r() * 3)),
      ]
        .map(csv)
        .join(','),
    );
  }
  lines.push(`TRAILER,${rows}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Card settlements from a payment provider with a three-character delimiter
 * `~|~`: fields hold commas, single pipes, tildes and quotes as plain data.
 */
function settlements(rows: number, seed: number): string {
  const r = rng(seed);
  const merchants = ['Café Olé, Galway', 'Pipe | Drum Ltd', 'Tilde~Bar', 'Bean "Machine" Co', 'Müller & Söhne'];
  const memos = ['Batch 7 "late", re-sent', 'fee 1.5%, net', 'chargeback | reversed', '', 'ok'];
  const d = '~|~';
  const lines = [
    ['settlement_id', 'merchant', 'amount', 'currency', 'settled_on', 'memo'].join(d),
    ['S000001', 'Café Olé, Galway', '1520.75', 'EUR', '2026-11-22', 'Batch 7 "late", re-sent'].join(d),
    ['S000002', 'Pipe | Drum Ltd', '88.10', 'GBP', '2026-11-22', 'chargeback | reversed'].join(d),
  ];
  for (let i = 3; i <= rows; i++) {
    lines.push(
      [
        `S${pad(i, 6)}`,
        pick(r, merchants),
        (10 + r() * 2000).toFixed(2),
        pick(r, ['EUR', 'GBP']),
        `2026-11-${pad(18 + Math.floor(r() * 5), 2)}`,
        pick(r, memos),
      ].join(d),
    );
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
  'orders_20261122.txt': orders('2026-11-22', 120, 5),
  // Rejected: a '03' gift-message record after order 7, a record type the config does not list.
  'orders_20261123.txt': orders('2026-11-23', 40, 6, 7),
  'shipments_20261122.csv.bz2': compressWith(
    'bzip2',
    ['-9', '-c'],
    shipments('2026-11-22', 600, 7),
    'shipments_20261122.csv.bz2',
  ),
  'shipments_20261123.csv.zst': compressWith(
    'zstd',
    ['-19', '-q', '-c', '--no-progress'],
    shipments('2026-11-23', 500, 8),
    'shipments_20261123.csv.zst',
  ),
  // Rejected: named .gz, configured gzip, but plain text.
  'shipments_20261124.csv.gz': shipments('2026-11-24', 50, 9),
  'members_20261122.csv': members(300, 10),
  'tickets_20261122.csv': tickets(250, 11),
  'settlements_20261122.dat': settlements(400, 12),
};
for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(OUT, name), body);
console.log(`wrote ${Object.keys(files).length} sample files to ${OUT}`);
