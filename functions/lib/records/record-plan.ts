import type { FileConfig, RecordLayout } from '../config/model.ts';
import { ConfigInvalid } from '../errors.ts';
import type { RoleOptions } from './record-roles.ts';
import type { ScannerOptions } from './record-scanner.ts';

/**
 * Everything the byte-level passes derive from a FileConfig, computed once
 * per pass and shared by ValidateFile, Preprocess and locateRecord so their
 * record rules cannot drift apart.
 */
export interface RecordPlan {
  scanner: ScannerOptions;
  roles: RoleOptions;
  delimiter: Buffer;
  quote: number | null;
  /** Delimiter longer than one byte: COPY cannot take it, Preprocess rewrites the records to CSV. */
  rewriteToCsv: boolean;
  /** Record-type prefix length when the file is split by type, else null. */
  prefixLength: number | null;
  /** What a record type not in the config means (split files; 'reject' otherwise, where every record has layout 0). */
  onUnknown: 'reject' | 'skip';
  layouts: RecordLayout[];
  /** Layout index by record type (split files). */
  typeIndex: Map<string, number>;
  /** Characters per record for each layout (fixed_width), else null. */
  widths: Array<number | null>;
}

export function recordPlan(config: FileConfig, maxRecordBytes?: number): RecordPlan {
  const { format } = config;
  const delimited = format.layout === 'delimited';
  if (delimited && format.delimiter.length === 0) {
    throw new ConfigInvalid(`config ${config.id}: format.delimiter is empty; set the field delimiter`);
  }
  let quote: number | null = null;
  if (delimited && format.quote !== null && format.quote !== '') {
    const qb = Buffer.from(format.quote, 'utf8');
    if (qb.length !== 1) {
      throw new ConfigInvalid(
        `config ${config.id}: format.quote ${JSON.stringify(format.quote)} must be one ASCII character`,
      );
    }
    quote = qb[0]!;
  }
  if (config.records.length === 0) {
    throw new ConfigInvalid(`config ${config.id}: no record layout is configured; add at least one entry to records`);
  }
  const typeIndex = new Map<string, number>();
  if (config.split) {
    if (config.split.prefixLength < 1) {
      throw new ConfigInvalid(`config ${config.id}: split.prefixLength must be at least 1`);
    }
    config.records.forEach((r, i) => {
      if (r.recordType === null) {
        throw new ConfigInvalid(
          `config ${config.id}: the file is split by record type, so records[${i}] needs a recordType`,
        );
      }
      typeIndex.set(r.recordType, i);
    });
  } else if (config.records.length !== 1) {
    throw new ConfigInvalid(
      `config ${config.id}: ${config.records.length} record layouts but no split; set split.prefixLength or keep one layout`,
    );
  }
  const widths = config.records.map((r, i) => {
    if (delimited) return null;
    let sum = 0;
    r.columns.forEach((c, j) => {
      if (!c.width || c.width < 1) {
        throw new ConfigInvalid(
          `config ${config.id}: fixed_width layout records[${i}].columns[${j}] (${c.name}) has no positive width`,
        );
      }
      sum += c.width;
    });
    return sum;
  });
  const delimiter = Buffer.from(format.delimiter, 'utf8');
  return {
    scanner: {
      quote,
      stripBom: format.encoding === 'utf-8',
      delimiter,
      escape: recordEscapeByte(format),
      ...(maxRecordBytes ? { maxRecordBytes } : {}),
    },
    roles: {
      headerLines: config.header.lines,
      hasTrailer: config.trailer !== null,
      ignoreBlankLines: config.load.ignoreBlankLines,
    },
    delimiter,
    quote,
    rewriteToCsv: rewritesToCsv(config),
    prefixLength: config.split ? config.split.prefixLength : null,
    onUnknown: config.split?.onUnknown ?? 'reject',
    layouts: config.records,
    typeIndex,
    widths,
  };
}

/** A delimiter longer than one byte: COPY cannot take it, so Preprocess rewrites the records as CSV. */
/**
 * The Redshift ESCAPE byte after which a line feed is data, not the record's
 * end, or null: text mode only (delimited, no quote character), since COPY
 * refuses ESCAPE with CSV and a fixed-width record never spans lines. Every
 * scan of records (ValidateFile, Preprocess, the local load, the row locators)
 * reads records with it.
 */
export function recordEscapeByte(format: {
  layout: 'delimited' | 'fixed_width';
  quote: string | null;
  escape?: string | null | undefined;
}): number | null {
  return format.layout === 'delimited' && !format.quote && format.escape ? format.escape.charCodeAt(0) : null;
}

export function rewritesToCsv(config: FileConfig): boolean {
  return config.format.layout === 'delimited' && Buffer.byteLength(config.format.delimiter, 'utf8') > 1;
}

/** The record-type prefix: the first `prefixLength` characters (records are UTF-8 here). */
export function recordTypeOf(buf: Buffer, start: number, end: number, prefixLength: number): string {
  const stop = Math.min(end, start + prefixLength);
  let ascii = true;
  for (let i = start; i < stop; i++) {
    if (buf[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1', start, stop);
  const text = buf.toString('utf8', start, Math.min(end, start + prefixLength * 4));
  return Array.from(text).slice(0, prefixLength).join('');
}
