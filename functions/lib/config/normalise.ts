import {
  type ColumnSpec,
  DEFAULT_LOAD_OPTIONS,
  DEFAULT_MIN_SIZE_BYTES,
  DEFAULT_PART_BYTES,
  type FileConfig,
  REDSHIFT_LOAD_OPTIONS,
  type RecordLayout,
  type TableRef,
} from './model.ts';
import type { FileEntry, InterfaceDoc } from './schema.ts';
import { type ColumnInput, parseSize } from './schema-fields.ts';
import { delimitedDefaults, resolveLineage } from './schema-rules.ts';

/** A validated YAML document → the normalised FileConfigs (config/model.ts) with every default applied. */

function toColumns(cols: ColumnInput[]): ColumnSpec[] {
  return cols.map((c) =>
    typeof c === 'string' ? { name: c } : c.width === undefined ? { name: c.name } : { name: c.name, width: c.width },
  );
}

function normaliseExtension(e: string): string {
  return e.replace(/^\./, '').toLowerCase();
}

/** A validated document → normalised FileConfigs with every default applied. */
export function toFileConfigs(doc: InterfaceDoc): FileConfig[] {
  return doc.files.map((f) => toFileConfig(doc, f));
}

function toFileConfig(doc: InterfaceDoc, f: FileEntry): FileConfig {
  const layout = f.format?.layout ?? 'delimited';
  const delimited = layout === 'delimited';
  const kind = f.match.glob !== undefined ? 'glob' : f.match.regex !== undefined ? 'regex' : 'token';
  const header =
    f.header === undefined || f.header === false
      ? { lines: 0, columns: null }
      : f.header === true
        ? { lines: 1, columns: null }
        : { lines: f.header.lines ?? 1, columns: f.header.columns ?? null };

  let trailer: FileConfig['trailer'] = null;
  if (f.trailer) {
    trailer = f.trailer.countAt
      ? { count: { kind: 'position', from: f.trailer.countAt.from, to: f.trailer.countAt.to } }
      : { count: { kind: 'pattern', regex: f.trailer.countPattern! } };
    if (f.trailer.marker !== undefined) trailer.marker = f.trailer.marker;
  }

  let records: RecordLayout[];
  if (f.split) {
    records = f.split.records.map((r) => ({
      recordType: r.type,
      target: { schema: r.target.schema, table: r.target.table } satisfies TableRef,
      columns: toColumns(r.columns),
      lineage: resolveLineage(r.lineage ?? f.lineage),
    }));
  } else {
    records = [
      {
        recordType: null,
        target: { schema: f.target!.schema, table: f.target!.table },
        columns: toColumns(f.columns ?? header.columns ?? []),
        lineage: resolveLineage(f.lineage),
      },
    ];
  }

  return {
    id: f.id,
    interface: doc.interface,
    description: f.description ?? null,
    active: f.active ?? true,
    match: { kind, pattern: f.match[kind]! },
    format: {
      layout,
      delimiter: delimited ? delimitedDefaults(f).delimiter : '',
      quote: delimited ? delimitedDefaults(f).quote : null,
      escape: delimited ? (f.format?.escape ?? null) : null,
      encoding: f.format?.encoding ?? 'utf-8',
      compression: f.format?.compression ?? 'none',
      extensions: [...new Set((f.format?.extensions ?? []).map(normaliseExtension))],
    },
    header,
    trailer,
    minSizeBytes: f.minSizeBytes ?? DEFAULT_MIN_SIZE_BYTES,
    maxSizeBytes: f.maxSizeBytes ?? null,
    records,
    split: f.split ? { prefixLength: f.split.prefixLength, onUnknown: f.split.onUnknown ?? 'reject' } : null,
    load: {
      ...(f.defaults === 'redshift' ? REDSHIFT_LOAD_OPTIONS : DEFAULT_LOAD_OPTIONS),
      ...stripUndefined(f.load ?? {}),
    },
    partBytes: f.partSize === undefined ? DEFAULT_PART_BYTES : parseSize(f.partSize)!,
    duplicates: f.duplicates ?? 'skip',
    reloadMode: f.reloadMode ?? 'replace',
    transform: f.transform ? { sql: f.transform.sql } : null,
    ...(f.errors ? { errors: { includeValues: f.errors.includeValues ?? true } } : {}),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
