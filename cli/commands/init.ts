import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_LINEAGE, LINEAGE_COLUMN_TYPES } from '../../functions/lib/config/model.ts';
import { type CliContext, UsageError } from '../context.ts';
import { type Sniffed, sniff, sqlType } from '../local/sniff.ts';

export const INIT_HELP = `Usage: efi init FILE [--name NAME] [--table SCHEMA.TABLE] [--out DIR] [--force] [--json]

Scaffold a feed from a sample file: sniff its delimiter, quote, header, record
count, trailer and column types (integer, bigint, numeric, date, timestamp,
varchar with a length in bytes), then write a commented config and the target
table's DDL:
  DIR/NAME.yaml   the config (efi config validate DIR/NAME.yaml, then efi config apply)
  DIR/NAME.sql    CREATE TABLE for the target, lineage columns included (efi sql --file)

  --name NAME            interface and file name (default: the sample's name without dates
                         and digits, e.g. sales_pos from sales_pos_20261122.csv)
  --table SCHEMA.TABLE   the target table (default stage.NAME)
  --out DIR              where to write (default: the current folder)
  --force                overwrite existing files
  --json                 print what was sniffed as JSON

Read the guesses before applying: they come from one sample.
Exit status: 0 written, 1 the sample cannot be read, 2 usage error (or files exist without --force).`;

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const SAMPLE_BYTES = 4 * 1024 * 1024;

export async function initCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      table: { type: 'string' },
      out: { type: 'string', default: '.' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.out(INIT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('efi init needs exactly one sample FILE');
  const file = positionals[0]!;
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`${file} is not a readable file`);
  const base = path.basename(file);
  const name = values.name ?? defaultName(base);
  if (!IDENT.test(name))
    throw new UsageError(
      `--name ${JSON.stringify(name)}: a name is lower-case letters, digits and _ (starting with a letter), at most 63 characters`,
    );
  const [schema, table, extra] = (values.table ?? `stage.${name}`).split('.');
  if (!schema || !table || extra !== undefined || !IDENT.test(schema) || !IDENT.test(table))
    throw new UsageError(`--table ${values.table}: expected SCHEMA.TABLE in lower case (e.g. stage.${name})`);
  const outDir = values.out;
  const yamlPath = path.join(outDir, `${name}.yaml`);
  const sqlPath = path.join(outDir, `${name}.sql`);
  if (!values.force) {
    const existing = [yamlPath, sqlPath].filter((p) => fs.existsSync(p));
    if (existing.length > 0) throw new UsageError(`${existing.join(' and ')} already exist: pass --force to overwrite`);
  }

  const gzip = /\.gz$/i.test(base);
  let bytes = readHead(file, SAMPLE_BYTES);
  if (gzip) bytes = gunzipSync(fs.readFileSync(file)).subarray(0, SAMPLE_BYTES);
  const whole = fs.statSync(file).size <= SAMPLE_BYTES || gzip;
  let text = bytes.toString('utf8');
  // A cut sample ends mid-line: drop the partial line (and with it any trailer guess).
  if (!whole) text = text.slice(0, text.lastIndexOf('\n') + 1);
  let s: Sniffed;
  try {
    s = sniff(text);
  } catch (e) {
    ctx.err(`efi init: ${file}: ${(e as Error).message}`);
    return 1;
  }
  if (!whole) s.notes.push(`only the first ${SAMPLE_BYTES} bytes were read: record count and lengths are of that part`);
  // Not valid UTF-8: most likely a Windows export.
  const encodingNote = isUtf8(bytes) ? null : 'windows-1252';
  if (encodingNote) s.notes.push('the sample is not valid UTF-8: assumed windows-1252 (format.encoding)');

  fs.mkdirSync(outDir, { recursive: true });
  const ext = extensionOf(base);
  const glob = base.replace(/\d+/g, '*').replace(/\*+(_\*+)*/g, '*');
  fs.writeFileSync(yamlPath, configYaml(name, schema, table, glob, ext, gzip, encodingNote, s, base));
  fs.writeFileSync(sqlPath, createTable(schema, table, s, base));
  if (ctx.json) ctx.out(JSON.stringify({ config: yamlPath, ddl: sqlPath, id: `${name}.main`, ...s }, null, 2));
  else {
    ctx.out(`wrote ${yamlPath} (config ${name}.main, match ${glob})`);
    ctx.out(`wrote ${sqlPath} (CREATE TABLE ${schema}.${table}, ${s.columns.length} columns + lineage)`);
    ctx.out(
      `sniffed: delimiter ${JSON.stringify(s.delimiter)}, quote ${s.quote ?? 'none'}, ${s.header ? 'a header line' : 'no header'}, ${s.records} records${s.trailer ? `, trailer ${JSON.stringify(s.trailer.line)}` : ''}`,
    );
    for (const n of s.notes) ctx.out(`note: ${n}`);
    ctx.out(
      `next: efi config validate ${yamlPath} && efi sql --file ${sqlPath} && efi config apply ${yamlPath} && efi check ${file}`,
    );
  }
  return 0;
}

function readHead(file: string, n: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const read = fs.readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}

function isUtf8(b: Buffer): boolean {
  return new TextDecoder('utf-8', { fatal: false }).decode(b).indexOf('\ufffd') < 0;
}

/** sales_pos_20261122.csv → sales_pos. */
export function defaultName(base: string): string {
  const stem = base.replace(/\..*$/, '');
  const n = stem
    .toLowerCase()
    .replace(/\d+/g, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[a-z]/.test(n) ? n : `feed_${n || 'file'}`.replace(/_+$/, '');
}

function extensionOf(base: string): string | null {
  const parts = base.toLowerCase().split('.');
  if (parts.length < 2) return null;
  const last = parts.at(-1)!;
  if (last === 'gz' && parts.length >= 3) return parts.at(-2)!;
  return /^[a-z0-9]+$/.test(last) ? last : null;
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

function configYaml(
  name: string,
  schema: string,
  table: string,
  glob: string,
  ext: string | null,
  gzip: boolean,
  encoding: string | null,
  s: Sniffed,
  sample: string,
): string {
  const cols = s.columns.map((c) => c.name);
  const format = [
    'layout: delimited',
    `delimiter: ${q(s.delimiter)}`,
    `quote: ${s.quote === null ? 'null' : q(s.quote)}`,
    ...(encoding ? [`encoding: ${encoding}`] : []),
    ...(gzip ? ['compression: gzip'] : []),
    ...(ext ? [`extensions: [${ext}${gzip ? `, ${ext}.gz` : ''}]`] : []),
  ];
  const lines = [
    `# Written by efi init from ${sample}: review every guess before efi config apply.`,
    `interface: ${name}`,
    `description: ${q(`Files like ${sample}`)}`,
    'files:',
    `  - id: ${name}.main`,
    `    # Which landing keys this config takes (glob on the key under the landing prefix).`,
    `    match: { glob: ${q(glob)} }`,
    `    # Sniffed: ${s.lineEnding.toUpperCase()} line ends${s.quote ? ', fields may be quoted' : ', no quoting'}.`,
    `    format: { ${format.join(', ')} }`,
  ];
  if (s.header) {
    lines.push('    # The header line is checked against these names on every file.');
    lines.push(`    header: { lines: 1, columns: [${s.header.map(yamlScalar).join(', ')}] }`);
  } else lines.push('    # No header line was found: columns are named col_1, col_2...; rename them.');
  if (s.trailer) {
    lines.push(`    # The last line ${JSON.stringify(s.trailer.line)} carries the record count; efi checks it.`);
    lines.push(`    trailer: { countPattern: ${q(s.trailer.pattern)} }`);
  }
  lines.push(`    target: { schema: ${schema}, table: ${table} }`);
  lines.push(`    # In file order; types are in ${name}.sql (${s.records} records sampled).`);
  lines.push(`    columns: [${cols.join(', ')}]`);
  for (const n of s.notes) lines.push(`    # NOTE: ${n}`);
  return `${lines.join('\n')}\n`;
}

function yamlScalar(v: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) && !/^(true|false|null|yes|no|on|off)$/i.test(v) ? v : q(v);
}

function createTable(schema: string, table: string, s: Sniffed, sample: string): string {
  const width = Math.max(...s.columns.map((c) => c.name.length), 'efi_source_file'.length);
  const col = (n: string, t: string, rest = '') => `  ${n.padEnd(width)} ${t}${rest}`;
  const body = [
    ...s.columns.map((c) =>
      col(
        c.name,
        sqlType(c.type),
        `${c.notNull ? ' NOT NULL' : ''}${c.type.kind === 'varchar' ? ` -- longest sampled value ${c.maxBytes} bytes` : ''}`,
      ),
    ),
    ...(['sourceFile', 'runId', 'loadedAt'] as const).map((role) =>
      col(DEFAULT_LINEAGE[role]!, LINEAGE_COLUMN_TYPES[role]),
    ),
  ];
  // Commas before the comments: a trailing "-- ..." must not swallow the separator.
  const joined = body.map((l, i) => {
    const comma = i < body.length - 1 ? ',' : '';
    const at = l.indexOf(' --');
    return at < 0 ? `${l}${comma}` : `${l.slice(0, at)}${comma}${l.slice(at)}`;
  });
  return `-- Written by efi init from ${sample}; types guessed from ${s.records} records: review them.
-- Types Redshift and PostgreSQL share; varchar lengths leave room (Redshift counts bytes).
-- efi_* are the lineage columns the load sets on every row.
CREATE SCHEMA IF NOT EXISTS ${schema};

CREATE TABLE IF NOT EXISTS ${schema}.${table} (
${joined.join('\n')}
);
`;
}
