import type { z } from 'zod';
import type { Layout } from '../../functions/lib/config/model.ts';
import type { FileEntrySchema } from '../../functions/lib/config/schema.ts';
import { isIdentifier } from '../../functions/lib/sql/identifiers.ts';
import { LEGACY_FIXED_COPY_OPTIONS, LEGACY_REMOVE_QUOTES, loadOptionSupported } from './legacy-copy.ts';
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
  /** ext_file_config_sid (null only on a row without one, which is skipped) */
  sid: number | null;
  /** ext_interface_cid (null only on a row without one, which is skipped) */
  interfaceCid: string | null;
  legacyInterface: string | null;
  /** mapped: equivalent config written; review: written, a person must check `reasons`; skipped: not written; deleted: oprtnl_flag D, not written. */
  status: LegacyStatus;
  configId: string | null;
  /** efi interface name (and YAML file base name) when written. */
  interface: string | null;
  /** Whether the written config can match files (config and interface both active). */
  active: boolean | null;
  reasons: string[];
  /** Deliberate differences from how the original loaded this row's files (also `# note: differs ...` in the YAML). */
  differences: string[];
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
  readonly differences: string[] = [];
  /** A deliberate difference from the original: written next to the field and listed in the report. */
  differ(field: string | null, text: string): void {
    this.notes.push({ field, text: `differs from the original: ${text}`, review: false });
    this.differences.push(text);
  }
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

/** A config row with both keys, as the original's primary key and NOT NULL guarantee. */
type KeyedConfigRow = LegacyFileConfigRow & { sid: number; cid: string };
type KeyedInterfaceRow = LegacyInterfaceRow & { cid: string };

/**
 * Why a row cannot be told apart from others, or cannot be tied to its feed:
 * keys the original's DDL makes primary (or NOT NULL) but a hand-made or
 * altered table may not. Null when the keys are sound.
 */
function keyProblem(
  row: LegacyFileConfigRow,
  sidCount: Map<number, LegacyFileConfigRow[]>,
  interfacesByCid: Map<string, KeyedInterfaceRow[]>,
): string | null {
  const what = `(target ${show(row.tgtSchema)}.${show(row.tgtTable)}, file_prefix ${show(row.filePrefix)})`;
  if (row.sid === null) {
    return `ext_file_config_sid is NULL on the row ${what}: its ext_file_config_dtl columns cannot be found; give it its own ext_file_config_sid (the primary key in the original's DDL) and import again`;
  }
  const same = sidCount.get(row.sid)!;
  if (same.length > 1) {
    return `ext_file_config_sid ${row.sid} is on ${same.length} rows (targets ${same.map((r) => `${show(r.tgtSchema)}.${show(r.tgtTable)}`).join(', ')}): their ext_file_config_dtl columns cannot be told apart; give each row its own ext_file_config_sid (the primary key in the original's DDL) and import again`;
  }
  if (row.cid === null) {
    return `ext_interface_cid is NULL on ext_file_config_sid ${row.sid}: the config belongs to no feed; set it to the ext_interface_cid of its interface and import again`;
  }
  const ifaces = interfacesByCid.get(row.cid) ?? [];
  if (ifaces.length > 1) {
    return `ext_interface has ${ifaces.length} rows with ext_interface_cid ${row.cid} (${ifaces.map((i) => show(i.name)).join(', ')}): which feed this config belongs to is unknown; keep one row per ext_interface_cid (the primary key in the original's DDL) and import again`;
  }
  return null;
}

export function mapLegacyTables(t: LegacyTables): LegacyMapping {
  const keyed = t.interfaces.filter((i): i is KeyedInterfaceRow => i.cid !== null);
  const interfacesByCid = new Map<string, KeyedInterfaceRow[]>();
  for (const i of keyed) interfacesByCid.set(i.cid, [...(interfacesByCid.get(i.cid) ?? []), i]);
  const interfaces = new Map<string, KeyedInterfaceRow>(keyed.map((i) => [i.cid, i]));
  const sidCount = new Map<number, LegacyFileConfigRow[]>();
  for (const c of t.configs) if (c.sid !== null) sidCount.set(c.sid, [...(sidCount.get(c.sid) ?? []), c]);
  const configs = t.configs.filter((c): c is KeyedConfigRow => keyProblem(c, sidCount, interfacesByCid) === null);
  const names = assignInterfaceNames(keyed);
  const columnsBySid = new Map<number, LegacyColumnRow[]>();
  for (const c of t.columns) {
    if (c.configSid === null) continue;
    const list = columnsBySid.get(c.configSid) ?? [];
    list.push(c);
    columnsBySid.set(c.configSid, list);
  }
  const live = configs.filter(
    (c) => legacyFlag(c.flag) !== 'D' && legacyFlag(interfaces.get(c.cid)?.flag ?? null) !== 'D',
  );
  const ctx: MapContext = { columnsBySid, live };

  const report: LegacyConfigReport[] = [];
  const byInterface = new Map<string, MappedInterface>();
  const tableOf = new Map<MappedEntry, string>();
  const drafts = new Map<number, DraftedConfig>();

  for (const any of t.configs) {
    const problem = keyProblem(any, sidCount, interfacesByCid);
    const iface = any.cid === null || problem ? null : (interfaces.get(any.cid) ?? null);
    const line: LegacyConfigReport = {
      sid: any.sid,
      interfaceCid: any.cid,
      legacyInterface: iface?.name ?? null,
      status: 'skipped',
      configId: null,
      interface: null,
      active: null,
      reasons: [],
      differences: [],
    };
    report.push(line);
    if (problem) {
      line.reasons.push(problem);
      continue;
    }
    const row = any as KeyedConfigRow;
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
    reviewLooseFlags(draft, iface, row);
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
    drafts.set(row.sid, { draft, line, entry: me, active: configActive && iflag === 'A' });
    line.interface = name;
  }

  loadOncePerToken(drafts);
  for (const { draft, line, active, entry } of drafts.values()) {
    line.status = draft.reviews.length > 0 ? 'review' : 'mapped';
    line.reasons.push(...draft.reviews);
    line.differences.push(...draft.differences);
    line.active = active && entry.entry.active !== false;
  }

  assignConfigIds([...byInterface.values()], tableOf);
  const bySid = new Map<number, MappedEntry>();
  for (const mi of byInterface.values()) for (const e of mi.entries) bySid.set(e.sid, e);
  for (const line of report) {
    const e =
      line.sid !== null && (line.status === 'mapped' || line.status === 'review') ? bySid.get(line.sid) : undefined;
    if (e) line.configId = e.entry.id;
  }
  return { interfaces: [...byInterface.values()], report };
}

/**
 * The import reads flags loosely ('a', ' Y' count as A and Y), but the
 * original's own code is not published in text (its Lambdas are zip files), so
 * whether it compared them exactly is unknown: a flag written otherwise than
 * its canonical letter may not have counted there (an 'a' config not live, a
 * 'y' header loaded as a row). Such a row is marked for review.
 */
function reviewLooseFlags(draft: Draft, iface: LegacyInterfaceRow, row: KeyedConfigRow): void {
  const flags: [string, string | null][] = [
    [`ext_interface ${iface.cid} oprtnl_flag`, iface.flag],
    ['oprtnl_flag', row.flag],
    ['header_flag', row.headerFlag],
    ['trailer_flag', row.trailerFlag],
    ['split_file_flag', row.splitFileFlag],
  ];
  for (const [col, raw] of flags) {
    const read = legacyFlag(raw);
    if (raw === null || read === null || raw === read) continue;
    draft.review(
      null,
      `${col} ${show(raw)} is read as ${JSON.stringify(read)}; if the original compared it exactly, it did not count as ${read} there: check, and write it as ${JSON.stringify(read)}`,
    );
  }
}

interface DraftedConfig {
  draft: Draft;
  line: LegacyConfigReport;
  entry: MappedEntry;
  /** Config and interface active in the legacy tables (before this import deactivates any). */
  active: boolean;
}

/**
 * The original looked a file's token up with a query that could return
 * several active rows, and loaded the file once per row (into each row's
 * target). efi loads a file under exactly one config and stops with
 * AmbiguousConfigMatch otherwise, so of the active configs sharing a token
 * the one with the lowest sid stays active and the others are imported
 * inactive, each marked for review with the targets the original also filled.
 */
function loadOncePerToken(drafts: Map<number, DraftedConfig>): void {
  const byToken = new Map<string, DraftedConfig[]>();
  for (const d of drafts.values()) {
    const m = d.entry.entry.match;
    if (!d.active || d.entry.entry.active === false || m.token === undefined) continue;
    const list = byToken.get(m.token) ?? [];
    list.push(d);
    byToken.set(m.token, list);
  }
  for (const [token, list] of byToken) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.entry.sid - b.entry.sid);
    const [kept, ...others] = list;
    const where = (d: DraftedConfig) => `ext_file_config_sid ${d.entry.sid} (${targetsOf(d.entry.entry)})`;
    kept!.draft.review(
      'match',
      `${list.length} active legacy configs have token ${JSON.stringify(token)} (${list.map(where).join(', ')}): the original loaded each such file once per row, into every one of those targets; efi loads a file under one config, this one. To fill the other targets too, add that to transform.sql, or ask the sender for separate files`,
    );
    kept!.draft.differences.push(
      `the original also loaded these files into ${others.map(where).join(', ')}; efi loads them only here`,
    );
    for (const o of others) {
      o.entry.entry = inKeyOrder({ ...o.entry.entry, active: false });
      o.draft.review(
        'active',
        `token ${JSON.stringify(token)} is also the token of the active ext_file_config_sid ${kept!.entry.sid}: the original loaded each such file under both rows; efi matches a file to one config, so this one is imported inactive`,
      );
      o.draft.differences.push(
        `not loaded: files with token ${JSON.stringify(token)} load only under ext_file_config_sid ${kept!.entry.sid}`,
      );
    }
  }
}

function targetsOf(e: FileEntryInput): string {
  if (e.target) return `${e.target.schema}.${e.target.table}`;
  return (e.split?.records ?? []).map((r) => `${r.target.schema}.${r.target.table}`).join(', ');
}

interface MapContext {
  columnsBySid: Map<number, LegacyColumnRow[]>;
  /** Configs that are not deleted, to find the per-type configs of a split file. */
  live: KeyedConfigRow[];
}

function describeRow(r: KeyedConfigRow): string {
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

function assignInterfaceNames(rows: KeyedInterfaceRow[]): Map<string, string> {
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
  const unordered = active.filter((c) => c.order === null);
  if (draft && unordered.length > 0) {
    // PostgreSQL sorts NULL after every value (ORDER BY column_order_sqnc), so that is where they are placed.
    draft.review(
      'columns',
      `column_order_sqnc is NULL for ${unordered.map((c) => `${show(c.name)} (ext_file_config_dtl_sid ${c.sid})`).join(', ')}: placed after the numbered columns; set column_order_sqnc and import again, or check the order against the file`,
    );
  }
  const ties = active.filter((c, i) => i > 0 && c.order !== null && order(c) === order(active[i - 1]!));
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

function mapConfig(row: KeyedConfigRow, draft: Draft, ctx: MapContext): { entry: FileEntryInput; table: string } {
  const format = mapFileFormat(row.fileFormat);
  if (!format.ok) throw new Skip(format.error);
  if (format.review) draft.review('format', format.review);
  const layout = format.layout;
  const split = legacyFlag(row.splitFileFlag) === 'Y';

  const match = mapMatch(row, draft);
  const entry: FileEntryInput = {
    id: '',
    description: `Imported from legacy ext_interface_cid ${row.cid}, ext_file_config_sid ${row.sid}`,
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

  // The original stamped file_name with the object's base name on every row it
  // loaded (UPDATE ... SET file_name after its COPY); it recorded nothing else.
  entry.lineage = { sourceFile: 'file_name', sourceFileAs: 'basename', runId: null, loadedAt: null };
  if (split) {
    draft.differ(
      'lineage',
      'file_name is the base name of the file as delivered; the original stamped the name of the split part it loaded (<name>-<ts>_<token>-<type>.<ext>)',
    );
  }
  entry.load = legacyLoadOptions(draft, layout === 'delimited' && escapeCharSet(row.escapeChar));

  const transform = transformSql(row.query);
  if (transform.sql !== null) {
    entry.transform = { sql: transform.sql };
    if (transform.review) draft.review('transform', transform.review);
  }
  return { entry: inKeyOrder(entry), table };
}

const KEY_ORDER = [
  'id',
  'description',
  'active',
  'match',
  'format',
  'header',
  'trailer',
  'target',
  'columns',
  'split',
  'lineage',
  'load',
  'transform',
];

/** The original ran `if escape_char:` — any non-blank value switched REMOVEQUOTES on. */
function escapeCharSet(v: string | null): boolean {
  return (v ?? '').trim() !== '';
}

/** The original's fixed COPY options (legacy-copy.ts), as far as this efi has them. */
function legacyLoadOptions(draft: Draft, removeQuotes: boolean): NonNullable<FileEntryInput['load']> {
  const load: Record<string, unknown> = {};
  const options = removeQuotes ? [...LEGACY_FIXED_COPY_OPTIONS, LEGACY_REMOVE_QUOTES] : LEGACY_FIXED_COPY_OPTIONS;
  const missing: string[] = [];
  for (const o of options) {
    if (loadOptionSupported(o.option, o.value)) load[o.option] = o.value;
    else if (o.without) missing.push(`${o.copy} (load.${o.option}) is not an efi option yet: ${o.without}`);
  }
  draft.note(
    'load',
    `the original's COPY always had ${LEGACY_FIXED_COPY_OPTIONS.map((o) => o.copy).join(', ')}${removeQuotes ? ', and REMOVEQUOTES because escape_char is set' : ''}`,
  );
  for (const m of missing) draft.differ('load', m);
  return load as NonNullable<FileEntryInput['load']>;
}

/** The order people read a config in (samples/configs), whatever order the mapping set the keys. */
function inKeyOrder(entry: FileEntryInput): FileEntryInput {
  const rank = (k: string) => {
    const i = KEY_ORDER.indexOf(k);
    return i === -1 ? KEY_ORDER.length : i;
  };
  const sorted = Object.entries(entry).sort(([a], [b]) => rank(a) - rank(b));
  return Object.fromEntries(sorted) as FileEntryInput;
}

function mapMatch(row: KeyedConfigRow, draft: Draft): { match: FileEntryInput['match']; deactivate: boolean } {
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
  if (!escapeCharSet(row.escapeChar)) {
    // The original rendered only DELIMITER (no CSV, no ESCAPE): quotes and backslashes are data.
    if (csv) {
      draft.note(
        'format',
        "file_format csv: the original's COPY had no CSV option, so quote characters are data (quote: null)",
      );
    }
    return { delimiter, quote: null };
  }
  if (rawEscape.toUpperCase() === 'N') {
    draft.review(
      'format',
      'escape_char "N": the original added REMOVEQUOTES for any non-empty escape_char, so it is imported that way; if "N" meant no, remove it (and load.removeQuotes) and import again',
    );
  }
  if (loadOptionSupported(LEGACY_REMOVE_QUOTES.option, LEGACY_REMOVE_QUOTES.value)) {
    draft.note(
      'format',
      `escape_char ${show(row.escapeChar)}: the original only used it to add REMOVEQUOTES (surrounding quotes removed, delimiters inside them kept); the character itself was never rendered (no ESCAPE), so quote: null and load.removeQuotes`,
    );
    return { delimiter, quote: null };
  }
  if (delimiter.includes('"')) {
    draft.review(
      'format',
      `escape_char ${show(row.escapeChar)} switched REMOVEQUOTES on in the original, but the delimiter contains a double quote and efi has no load.removeQuotes yet: quotes load as data`,
    );
    draft.differences.push('REMOVEQUOTES not applied: surrounding quotes load as data');
    return { delimiter, quote: null };
  }
  // Until efi has load.removeQuotes, CSV quoting is the closest: it also strips
  // surrounding quotes and keeps delimiters inside them.
  draft.review(
    'format',
    `escape_char ${show(row.escapeChar)}: the original only used it to add REMOVEQUOTES (no ESCAPE). efi has no load.removeQuotes yet, so this is CSV quoting (quote: '"'), which also strips surrounding quotes and keeps delimiters inside them, but reads "" inside quotes as one quote and refuses a quote in the middle of an unquoted field; check the file`,
  );
  draft.differences.push(
    'REMOVEQUOTES approximated by CSV quoting: "" inside a quoted field loads as one quote, a stray quote in an unquoted field rejects the file',
  );
  return { delimiter, quote: '"' };
}

function mapSplit(
  row: KeyedConfigRow,
  layout: Layout,
  draft: Draft,
  ctx: MapContext,
): { split: NonNullable<FileEntryInput['split']>; table: string } {
  const parsed = parseSplitPrefix(row.splitPrefix);
  if (!parsed.ok) throw new Skip(parsed.error);
  const records: NonNullable<FileEntryInput['split']>['records'] = [];
  const missing: string[] = [];
  const parentToken = prefixToMatch(row.filePrefix);
  const childQueries: { sid: number; sql: string }[] = [];
  for (const type of parsed.types) {
    const found = parentToken.kind === 'token' ? findTypeConfig(row, `${parentToken.token}-${type}`, ctx, draft) : null;
    if (found) {
      const q = transformSql(found.query).sql;
      if (q !== null) childQueries.push({ sid: found.sid, sql: q });
      if ((found.delimiter ?? '') !== (row.delimiter ?? '')) {
        draft.review(
          'split',
          `record type ${JSON.stringify(type)}: its config ext_file_config_sid ${found.sid} has delimiter ${show(found.delimiter)}, this file ${show(row.delimiter)}; the original wrote the part's lines unchanged, so efi splits every type with this file's delimiter`,
        );
      }
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
          `record type ${JSON.stringify(type)}: target and columns of ext_file_config_sid ${found.sid} (file_prefix ${show(found.filePrefix)}), the config the original matched its split part <name>-<ts>_${parentToken.kind === 'token' ? parentToken.token : '<token>'}-${type}.<ext> to`,
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
      `per-type targets must be filled in: no active config has the token ${missing.map((t) => JSON.stringify(parentToken.kind === 'token' ? `${parentToken.token}-${t}` : `<token>-${t}`)).join(', ')} the original matched the split parts of record type(s) ${missing.join(', ')} by, so they load into this config's target ${target.schema}.${target.table} with its columns`,
    );
  } else if (row.tgtTable?.trim()) {
    const t = row.tgtTable.trim().toLowerCase();
    if (isIdentifier(t)) table = t;
    draft.note(
      'split',
      `this config's own target ${show(row.tgtSchema)}.${show(row.tgtTable)} and columns are not used: every record type has its own`,
    );
  }
  draft.differ(
    'split',
    "onUnknown: skip drops lines of a record type split_prefix does not list, as the original did; efi's default for new feeds rejects the file (onUnknown: reject), which is the safer setting once the feed is migrated. efi counts the dropped lines in the run (records skipped)",
  );
  if (childQueries.length > 0) {
    draft.review(
      'transform',
      `the configs of the split parts had their own query (${childQueries.map((q) => `ext_file_config_sid ${q.sid}: ${q.sql}`).join('; ')}), which the original ran after loading each part; efi runs one transform after all types are loaded${row.query ? ", this config's own" : ': add them to transform.sql (a procedure that CALLs each)'}`,
    );
  }
  return { split: { prefixLength: parsed.prefixLength, onUnknown: 'skip', records }, table };
}

/**
 * The config the original matched a re-dropped part to. It named the part of
 * record type `t` `<name>-<ts>_<token>-<t>.<ext>`, whose token is `<token>-<t>`
 * (e.g. 901-01): the config with that token.
 */
function findTypeConfig(row: KeyedConfigRow, partToken: string, ctx: MapContext, draft: Draft): KeyedConfigRow | null {
  const type = partToken;
  const candidates = ctx.live.filter((c) => {
    if (c.sid === row.sid || legacyFlag(c.splitFileFlag) === 'Y' || legacyFlag(c.flag) !== 'A') return false;
    const m = prefixToMatch(c.filePrefix);
    return m.kind === 'token' && m.token === partToken;
  });
  const sameInterface = candidates.filter((c) => c.cid === row.cid);
  const pool = sameInterface.length > 0 ? sameInterface : candidates;
  if (pool.length === 1) return pool[0]!;
  if (pool.length > 1) {
    draft.review(
      'split',
      `split part token ${JSON.stringify(type)}: ${pool.length} active configs have that token (ext_file_config_sid ${pool.map((c) => c.sid).join(', ')}); none chosen`,
    );
  }
  return null;
}
