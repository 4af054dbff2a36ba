import type { z } from 'zod';
import type { Layout } from '../../functions/lib/config/model.ts';
import type { FileEntrySchema } from '../../functions/lib/config/schema.ts';
import { isIdentifier } from '../../functions/lib/sql/identifiers.ts';
import {
  decodeDelimiter,
  legacyFlag,
  mapFileFormat,
  mapTrailerPosition,
  parseSplitPrefix,
  transformSql,
} from './legacy-format.ts';
import { prefixToMatch } from './legacy-prefix.ts';
import type { LegacyColumnRow, LegacyFileConfigRow, LegacyInterfaceRow, LegacyTables } from './legacy-rows.ts';

/**
 * Legacy rows → efi interface documents (plain objects in the YAML input
 * shape) plus one report line per ext_file_config row. Pure: no I/O, so every
 * rule is testable from rows alone. Anything that is a judgement rather than
 * a translation becomes a `review` note next to the field it concerns.
 */

export type FileEntryInput = z.input<typeof FileEntrySchema>;
type ColumnInput = NonNullable<FileEntryInput['columns']>[number];

export type LegacyStatus = 'mapped' | 'review' | 'skipped' | 'deleted';

export interface LegacyConfigReport {
  /** ext_file_config_sid */
  sid: number;
  /** ext_interface_cid */
  interfaceCid: string;
  legacyInterface: string | null;
  /** mapped: equivalent config written; review: written, a person must check `reasons`; skipped: not written; deleted: oprtnl_flag D, not written. */
  status: LegacyStatus;
  configId: string | null;
  /** efi interface name (and YAML file base name) when written. */
  interface: string | null;
  /** Whether the written config can match files (config and interface both active). */
  active: boolean | null;
  reasons: string[];
}

export interface YamlNote {
  /** Key of the file entry the note sits above; null = above the entry. */
  field: string | null;
  text: string;
  review: boolean;
}

export interface MappedEntry {
  sid: number;
  /** The legacy row in one line, for the comment above the entry. */
  source: string;
  entry: FileEntryInput;
  notes: YamlNote[];
}

export interface MappedInterface {
  /** efi interface name, also the YAML file base name. */
  name: string;
  cid: string;
  legacyName: string | null;
  description: string | null;
  active: boolean;
  entries: MappedEntry[];
}

export interface LegacyMapping {
  interfaces: MappedInterface[];
  report: LegacyConfigReport[];
}

class Draft {
  readonly notes: YamlNote[] = [];
  readonly reviews: string[] = [];
  review(field: string | null, text: string): void {
    this.notes.push({ field, text, review: true });
    this.reviews.push(text);
  }
  note(field: string | null, text: string): void {
    this.notes.push({ field, text, review: false });
  }
}

class Skip extends Error {}

const show = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));

export function interfaceName(legacy: string | null, cid: string): string {
  const base = (legacy ?? '')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63)
    .replace(/[._-]+$/, '');
  return base === '' ? `interface_${cid.replace(/[^0-9a-z]/gi, '')}` : base;
}

export function mapLegacyTables(t: LegacyTables): LegacyMapping {
  const interfaces = new Map<string, LegacyInterfaceRow>(t.interfaces.map((i) => [i.cid, i]));
  const names = assignInterfaceNames(t.interfaces);
  const columnsBySid = new Map<number, LegacyColumnRow[]>();
  for (const c of t.columns) {
    const list = columnsBySid.get(c.configSid) ?? [];
    list.push(c);
    columnsBySid.set(c.configSid, list);
  }
  const live = t.configs.filter(
    (c) => legacyFlag(c.flag) !== 'D' && legacyFlag(interfaces.get(c.cid)?.flag ?? null) !== 'D',
  );
  const ctx: MapContext = { columnsBySid, live };

  const report: LegacyConfigReport[] = [];
  const byInterface = new Map<string, MappedInterface>();
  const tableOf = new Map<MappedEntry, string>();

  for (const row of t.configs) {
    const iface = interfaces.get(row.cid) ?? null;
    const line: LegacyConfigReport = {
      sid: row.sid,
      interfaceCid: row.cid,
      legacyInterface: iface?.name ?? null,
      status: 'skipped',
      configId: null,
      interface: null,
      active: null,
      reasons: [],
    };
    report.push(line);
    if (!iface) {
      line.reasons.push(`ext_interface has no row with ext_interface_cid ${row.cid}: the config belongs to no feed`);
      continue;
    }
    const iflag = legacyFlag(iface.flag);
    const cflag = legacyFlag(row.flag);
    if (iflag === 'D' || cflag === 'D') {
      line.status = 'deleted';
      line.reasons.push(
        cflag === 'D'
          ? 'oprtnl_flag D (deleted): not imported'
          : `interface ${iface.name} has oprtnl_flag D (deleted): not imported`,
      );
      continue;
    }
    const badFlag = [
      [iflag, `ext_interface ${iface.cid}`],
      [cflag, 'ext_file_config'],
    ].find(([f]) => f !== 'A' && f !== 'I');
    if (badFlag) {
      line.reasons.push(
        `${badFlag[1]} oprtnl_flag ${show(badFlag[0] ?? null)} is not A, I or D: fix the flag and import again`,
      );
      continue;
    }

    const draft = new Draft();
    let mapped: { entry: FileEntryInput; table: string };
    try {
      mapped = mapConfig(row, draft, ctx);
    } catch (e) {
      if (!(e instanceof Skip)) throw e;
      line.reasons.push(e.message);
      continue;
    }
    const configActive = cflag === 'A' && mapped.entry.active !== false;
    if (cflag === 'I') mapped.entry = inKeyOrder({ ...mapped.entry, active: false });
    if (iflag === 'I')
      draft.note(
        null,
        `interface ${iface.name} is inactive (oprtnl_flag I): the whole interface is imported with active: false`,
      );
    if (cflag === 'I') draft.note('active', 'oprtnl_flag I (inactive) in ext_file_config');

    const name = names.get(iface.cid)!;
    let mi = byInterface.get(iface.cid);
    if (!mi) {
      const desc = iface.description?.trim() ?? '';
      mi = {
        name,
        cid: iface.cid,
        legacyName: iface.name,
        description: desc !== '' && desc !== iface.name ? desc : null,
        active: iflag === 'A',
        entries: [],
      };
      byInterface.set(iface.cid, mi);
    }
    const me: MappedEntry = { sid: row.sid, source: describeRow(row), entry: mapped.entry, notes: draft.notes };
    mi.entries.push(me);
    tableOf.set(me, mapped.table);
    line.status = draft.reviews.length > 0 ? 'review' : 'mapped';
    line.reasons.push(...draft.reviews);
    line.interface = name;
    line.active = configActive && iflag === 'A';
  }

  assignConfigIds([...byInterface.values()], tableOf);
  const bySid = new Map<number, MappedEntry>();
  for (const mi of byInterface.values()) for (const e of mi.entries) bySid.set(e.sid, e);
  for (const line of report) {
    const e = line.status === 'mapped' || line.status === 'review' ? bySid.get(line.sid) : undefined;
    if (e) line.configId = e.entry.id;
  }
  return { interfaces: [...byInterface.values()], report };
}

interface MapContext {
  columnsBySid: Map<number, LegacyColumnRow[]>;
  /** Configs that are not deleted, to find the per-type configs of a split file. */
  live: LegacyFileConfigRow[];
}

function describeRow(r: LegacyFileConfigRow): string {
  const fields: [string, string | null][] = [
    ['file_prefix', r.filePrefix],
    ['file_format', r.fileFormat],
    ['file_type', r.fileType],
    ['delimiter', r.delimiter],
    ['header_flag', r.headerFlag],
    ['trailer_flag', r.trailerFlag],
    ['trailer_pstn', r.trailerPstn],
    ['split_file_flag', r.splitFileFlag],
    ['split_prefix', r.splitPrefix],
    ['escape_char', r.escapeChar],
    ['oprtnl_flag', r.flag],
  ];
  return `legacy ext_file_config_sid ${r.sid}: target ${show(r.tgtSchema)}.${show(r.tgtTable)}, ${fields
    .map(([k, v]) => `${k} ${show(v)}`)
    .join(', ')}`;
}

function assignInterfaceNames(rows: LegacyInterfaceRow[]): Map<string, string> {
  const out = new Map<string, string>();
  const count = new Map<string, number>();
  for (const r of rows) {
    const n = interfaceName(r.name, r.cid);
    count.set(n, (count.get(n) ?? 0) + 1);
  }
  for (const r of rows) {
    const n = interfaceName(r.name, r.cid);
    // Two legacy names that sanitise alike would share one YAML file: the cid keeps them apart.
    out.set(r.cid, count.get(n)! > 1 ? `${n.slice(0, 50)}-${r.cid.replace(/[^0-9a-z]/gi, '')}` : n);
  }
  return out;
}

function assignConfigIds(interfaces: MappedInterface[], tableOf: Map<MappedEntry, string>): void {
  const base = new Map<MappedEntry, string>();
  const count = new Map<string, number>();
  for (const mi of interfaces) {
    for (const e of mi.entries) {
      const b = `${mi.name}.${tableOf.get(e)!}`.slice(0, 118);
      base.set(e, b);
      count.set(b, (count.get(b) ?? 0) + 1);
    }
  }
  for (const [e, b] of base) {
    e.entry.id = count.get(b)! > 1 ? `${b}.${e.sid}` : b;
  }
}

function mapTarget(schemaRaw: string | null, tableRaw: string | null, what: string): { schema: string; table: string } {
  const schema = schemaRaw?.trim().toLowerCase() ?? '';
  const table = tableRaw?.trim().toLowerCase() ?? '';
  for (const [v, raw, col] of [
    [schema, schemaRaw, 'tgt_schema_name'],
    [table, tableRaw, 'tgt_table_name'],
  ] as const) {
    if (v === '') throw new Skip(`${what}${col} is empty: efi needs a target table`);
    if (!isIdentifier(v)) {
      throw new Skip(
        `${what}${col} ${show(raw)} is not a valid identifier (lower-case letters, digits, _ or $, starting with a letter or _): efi only loads into such tables; rename the table or write the config by hand`,
      );
    }
  }
  return { schema, table };
}

function mapColumns(sid: number, layout: Layout, ctx: MapContext, draft: Draft | null, what = ''): ColumnInput[] {
  const all = ctx.columnsBySid.get(sid) ?? [];
  const active = all.filter((c) => legacyFlag(c.flag) === 'A');
  const order = (c: LegacyColumnRow) => (c.order === null ? Number.POSITIVE_INFINITY : Number(c.order));
  active.sort((a, b) => order(a) - order(b) || a.sid - b.sid);
  if (active.length === 0) {
    throw new Skip(
      `${what}ext_file_config_dtl has no active columns for ext_file_config_sid ${sid}${all.length ? ` (${all.length} inactive or deleted)` : ''}: efi needs the column list`,
    );
  }
  if (draft && active.length < all.length) {
    draft.note('columns', `${all.length - active.length} column row(s) with oprtnl_flag other than A left out`);
  }
  const ties = active.filter((c, i) => i > 0 && order(c) === order(active[i - 1]!));
  if (draft && ties.length > 0) {
    draft.review(
      'columns',
      `columns share column_order_sqnc ${[...new Set(ties.map((c) => c.order))].join(', ')}: ordered by ext_file_config_dtl_sid; check the order against the file`,
    );
  }
  const seen = new Set<string>();
  let widthsIgnored = 0;
  const out = active.map((c): ColumnInput => {
    const name = c.name?.trim().toLowerCase() ?? '';
    if (!isIdentifier(name)) {
      throw new Skip(
        `${what}column_name ${show(c.name)} (ext_file_config_dtl_sid ${c.sid}) is not a valid identifier: rename the column or write the config by hand`,
      );
    }
    if (seen.has(name)) throw new Skip(`${what}column ${name} is listed twice for ext_file_config_sid ${sid}`);
    seen.add(name);
    if (layout !== 'fixed_width') {
      if (c.width !== null) widthsIgnored++;
      return name;
    }
    const width = Number(c.width);
    if (c.width === null || !Number.isInteger(width) || width < 1) {
      throw new Skip(
        `${what}fixed-width column ${name} (ext_file_config_dtl_sid ${c.sid}) has column_width_fixed ${show(c.width)}: a fixed-width column needs a positive whole width`,
      );
    }
    return { name, width };
  });
  if (draft && widthsIgnored > 0) {
    draft.note(
      'columns',
      `column_width_fixed is set on ${widthsIgnored} column(s) but the file is delimited: widths left out`,
    );
  }
  return out;
}

function mapConfig(row: LegacyFileConfigRow, draft: Draft, ctx: MapContext): { entry: FileEntryInput; table: string } {
  const format = mapFileFormat(row.fileFormat);
  if (!format.ok) throw new Skip(format.error);
  if (format.review) draft.review('format', format.review);
  const layout = format.layout;
  const split = legacyFlag(row.splitFileFlag) === 'Y';

  const match = mapMatch(row, draft);
  const entry: FileEntryInput = {
    id: '',
    description: `Imported from legacy ext_file_config_sid ${row.sid}`,
    ...(match.deactivate ? { active: false } : {}),
    match: match.match,
  };

  const fmt: NonNullable<FileEntryInput['format']> = { layout };
  if (layout === 'delimited') Object.assign(fmt, mapDelimitedFormat(row, draft));
  else {
    for (const [col, v] of [
      ['delimiter', row.delimiter],
      ['escape_char', row.escapeChar],
    ] as const) {
      if ((v ?? '').trim() !== '')
        draft.note('format', `${col} ${show(v)} does not apply to a fixed-width file: left out`);
    }
  }
  if (format.compression !== 'none') fmt.compression = format.compression;
  const ext = (row.fileType ?? '').trim().toLowerCase().replace(/^\./, '');
  if (/^[a-z0-9]+(\.[a-z0-9]+)*$/.test(ext)) fmt.extensions = [ext];
  else if (ext !== '')
    draft.review('format', `file_type ${show(row.fileType)} is not an extension: any extension is accepted`);
  entry.format = fmt;

  const header = legacyFlag(row.headerFlag);
  if (header === 'Y') {
    entry.header = { lines: 1 };
  } else {
    entry.header = false;
    if (header !== 'N')
      draft.review('header', `header_flag ${show(row.headerFlag)} is not Y or N: imported as no header`);
  }

  const trailer = legacyFlag(row.trailerFlag);
  if (trailer === 'Y') {
    const pos = mapTrailerPosition(row.trailerPstn);
    if (pos.ok) {
      entry.trailer = { countAt: { from: pos.from, to: pos.to } };
      draft.note(
        'trailer',
        `trailer_pstn ${show(row.trailerPstn)} was Python line[${pos.from - 1}:${pos.to}]: characters ${pos.from} to ${pos.to}, 1-based and inclusive`,
      );
    } else {
      // Without the trailer rule the trailer line would load as a data row: keep the config from matching.
      entry.active = false;
      draft.review(
        'trailer',
        `${pos.error}; imported inactive: add trailer: { countAt: { from, to } } or { countPattern: "..." }, then set active: true`,
      );
    }
  } else {
    entry.trailer = false;
    if (trailer !== 'N')
      draft.review('trailer', `trailer_flag ${show(row.trailerFlag)} is not Y or N: imported as no trailer`);
    else if ((row.trailerPstn ?? '').trim() !== '') {
      draft.note('trailer', `trailer_pstn ${show(row.trailerPstn)} ignored: trailer_flag is N`);
    }
  }

  let table: string;
  if (split) {
    const s = mapSplit(row, layout, draft, ctx);
    entry.split = s.split;
    table = s.table;
  } else {
    if (legacyFlag(row.splitFileFlag) !== 'N' && row.splitFileFlag !== null) {
      draft.review(null, `split_file_flag ${show(row.splitFileFlag)} is not Y or N: imported as not split`);
    }
    const target = mapTarget(row.tgtSchema, row.tgtTable, '');
    entry.target = target;
    entry.columns = mapColumns(row.sid, layout, ctx, draft);
    table = target.table;
  }

  // The legacy target tables have no efi lineage columns (see the file header).
  entry.lineage = false;

  const transform = transformSql(row.query);
  if (transform.sql !== null) {
    entry.transform = { sql: transform.sql };
    if (transform.review) draft.review('transform', transform.review);
  }
  return { entry: inKeyOrder(entry), table };
}

const KEY_ORDER = ['id', 'description', 'active', 'match', 'format', 'header', 'trailer', 'target', 'columns', 'split'];

/** The order people read a config in (samples/configs), whatever order the mapping set the keys. */
function inKeyOrder(entry: FileEntryInput): FileEntryInput {
  const rank = (k: string) => {
    const i = KEY_ORDER.indexOf(k);
    return i === -1 ? KEY_ORDER.length : i;
  };
  const sorted = Object.entries(entry).sort(([a], [b]) => rank(a) - rank(b));
  return Object.fromEntries(sorted) as FileEntryInput;
}

function mapMatch(row: LegacyFileConfigRow, draft: Draft): { match: FileEntryInput['match']; deactivate: boolean } {
  const m = prefixToMatch(row.filePrefix);
  if (m.kind === 'token') {
    if (m.note) draft.note('match', m.note);
    return { match: { token: m.token }, deactivate: false };
  }
  if (m.kind === 'regex') {
    draft.review('match', m.review);
    return { match: { regex: m.regex }, deactivate: false };
  }
  if (m.token === null) throw new Skip(`${m.review}; write the match by hand`);
  draft.review(
    'match',
    `${m.review}; imported inactive with token ${JSON.stringify(m.token)}, the likely intent: fix the match and set active: true`,
  );
  return { match: { token: m.token }, deactivate: true };
}

function mapDelimitedFormat(
  row: LegacyFileConfigRow,
  draft: Draft,
): Pick<NonNullable<FileEntryInput['format']>, 'delimiter' | 'quote' | 'escape'> {
  const csv = (row.fileFormat ?? '').trim().toLowerCase() === 'csv';
  let delimiter: string;
  if (row.delimiter === null || row.delimiter === '') {
    // Redshift COPY's own default when no DELIMITER is given: pipe for text, comma for CSV.
    delimiter = csv ? ',' : '|';
    draft.review(
      'format',
      `delimiter is empty: imported as ${JSON.stringify(delimiter)}, Redshift COPY's default for a ${csv ? 'CSV' : 'text'} file; check the file`,
    );
  } else {
    const d = decodeDelimiter(row.delimiter);
    if (!d.ok) throw new Skip(d.error);
    delimiter = d.value;
    if (d.note) draft.note('format', d.note);
  }

  const rawEscape = (row.escapeChar ?? '').trim();
  const escapeFlag = rawEscape.toUpperCase();
  if (rawEscape === '' || escapeFlag === 'N') {
    if (csv && !delimiter.includes('"')) {
      draft.note('format', 'file_format csv: fields may be wrapped in double quotes (CSV quoting)');
      return { delimiter, quote: '"' };
    }
    return { delimiter, quote: null };
  }
  if (delimiter === '\\') {
    throw new Skip(
      `escape_char ${show(row.escapeChar)} with delimiter "\\": a backslash cannot be both the delimiter and the escape character`,
    );
  }
  draft.review(
    'format',
    'the legacy load used REMOVEQUOTES with ESCAPE; efi keeps the backslash escapes (escape: "\\\\", Redshift ESCAPE) but cannot also strip surrounding quotes in the same load: quoted fields now load with their quotes. If the file has quoted fields and no backslash escapes, use quote: \'"\' and escape: null instead',
  );
  if (rawEscape !== '\\' && rawEscape !== '\\\\' && escapeFlag !== 'Y') {
    draft.review(
      'format',
      `escape_char ${show(row.escapeChar)}: Redshift's ESCAPE option always means backslash, so the legacy load escaped with backslash whatever this column held; imported as backslash`,
    );
  }
  return { delimiter, quote: null, escape: '\\' };
}

function mapSplit(
  row: LegacyFileConfigRow,
  layout: Layout,
  draft: Draft,
  ctx: MapContext,
): { split: NonNullable<FileEntryInput['split']>; table: string } {
  const parsed = parseSplitPrefix(row.splitPrefix);
  if (!parsed.ok) throw new Skip(parsed.error);
  const records: NonNullable<FileEntryInput['split']>['records'] = [];
  const missing: string[] = [];
  for (const type of parsed.types) {
    const found = findTypeConfig(row, type, ctx, draft);
    if (found) {
      try {
        records.push({
          type,
          target: mapTarget(
            found.tgtSchema,
            found.tgtTable,
            `record type ${type} (ext_file_config_sid ${found.sid}): `,
          ),
          columns: mapColumns(found.sid, layout, ctx, null, `record type ${type} (ext_file_config_sid ${found.sid}): `),
        });
        draft.note(
          'split',
          `record type ${JSON.stringify(type)}: target and columns of ext_file_config_sid ${found.sid} (file_prefix ${show(found.filePrefix)}), the config its split part was matched to`,
        );
        continue;
      } catch (e) {
        if (!(e instanceof Skip)) throw e;
        draft.review('split', `${e.message}; record type ${type} falls back to this config's own target`);
      }
    }
    missing.push(type);
    records.push({ type, target: { schema: '', table: '' }, columns: [] });
  }
  let table = `split_${row.sid}`;
  if (missing.length > 0) {
    const target = mapTarget(
      row.tgtSchema,
      row.tgtTable,
      `split record types ${missing.join(', ')} have no config of their own, and `,
    );
    const columns = mapColumns(
      row.sid,
      layout,
      ctx,
      draft,
      `split record types ${missing.join(', ')} have no config of their own, and `,
    );
    for (const r of records) {
      if (missing.includes(r.type)) {
        r.target = target;
        r.columns = columns;
      }
    }
    table = target.table;
    draft.review(
      'split',
      `per-type targets must be filled in: no active config has the token of record type(s) ${missing.map((t) => JSON.stringify(t)).join(', ')}, so they load into this config's target ${target.schema}.${target.table} with its columns`,
    );
  } else if (row.tgtTable?.trim()) {
    const t = row.tgtTable.trim().toLowerCase();
    if (isIdentifier(t)) table = t;
    draft.note(
      'split',
      `this config's own target ${show(row.tgtSchema)}.${show(row.tgtTable)} and columns are not used: every record type has its own`,
    );
  }
  draft.note(
    'split',
    'lines of a record type not listed reject the file (onUnknown: reject); set onUnknown: skip to drop them',
  );
  return { split: { prefixLength: parsed.prefixLength, records }, table };
}

/** The config the original matched the re-dropped part for `type` to: the one whose token is the type. */
function findTypeConfig(
  row: LegacyFileConfigRow,
  type: string,
  ctx: MapContext,
  draft: Draft,
): LegacyFileConfigRow | null {
  const candidates = ctx.live.filter((c) => {
    if (c.sid === row.sid || legacyFlag(c.splitFileFlag) === 'Y') return false;
    const m = prefixToMatch(c.filePrefix);
    return m.kind === 'token' && m.token === type;
  });
  const sameInterface = candidates.filter((c) => c.cid === row.cid);
  const pool = sameInterface.length > 0 ? sameInterface : candidates;
  if (pool.length === 1) return pool[0]!;
  if (pool.length > 1) {
    draft.review(
      'split',
      `record type ${JSON.stringify(type)}: ${pool.length} configs have that token (ext_file_config_sid ${pool.map((c) => c.sid).join(', ')}); none chosen`,
    );
  }
  return null;
}
