import type { Compression, Layout } from '../../functions/lib/config/model.ts';
import { MAX_LOAD_STATEMENTS } from '../../functions/lib/ports/load-spec-rules.ts';
import { statementCount } from '../../functions/lib/sql/named-parameters.ts';

/**
 * Value-level translations of single legacy columns into efi terms. Each
 * returns what it could map plus the text a person needs when the mapping is
 * a judgement (`review`) or impossible (`error`).
 */

/** 'a ' → 'A'; null/blank → null. */
export function legacyFlag(v: string | null): string | null {
  const t = v?.trim().toUpperCase() ?? '';
  return t === '' ? null : t;
}

export type FileFormat =
  | { ok: true; layout: Layout; compression: Compression; review: string | null }
  | { ok: false; error: string };

const COMPRESSIONS: Record<string, Compression> = {
  gz: 'gzip',
  gzip: 'gzip',
  bz2: 'bzip2',
  bzip2: 'bzip2',
  zst: 'zstd',
  zstd: 'zstd',
};
const UNSUPPORTED_COMPRESSIONS = new Set(['lzo', 'lzop', 'zip', 'snappy', 'xz', '7z', 'z']);
const DELIMITED = new Set(['', 'csv', 'txt', 'text', 'dat', 'delimited', 'psv', 'tsv', 'pipe']);
const FIXED = new Set(['fixed_width', 'fixedwidth', 'fixed-width', 'fixed width', 'fixed']);

export function mapFileFormat(raw: string | null): FileFormat {
  const f = (raw ?? '').trim().toLowerCase();
  const compression = COMPRESSIONS[f];
  if (compression) return { ok: true, layout: 'delimited', compression, review: null };
  if (FIXED.has(f)) return { ok: true, layout: 'fixed_width', compression: 'none', review: null };
  if (DELIMITED.has(f)) return { ok: true, layout: 'delimited', compression: 'none', review: null };
  if (UNSUPPORTED_COMPRESSIONS.has(f)) {
    return {
      ok: false,
      error: `file_format ${JSON.stringify(raw)}: efi cannot read ${f.toUpperCase()}-compressed files (it reads gzip, bzip2 and zstd); have the sender deliver gzip, then write this config by hand`,
    };
  }
  return {
    ok: true,
    layout: 'delimited',
    compression: 'none',
    review: `file_format ${JSON.stringify(raw)} is not one import-legacy knows (csv, txt, fixed_width, gz, bz2): imported as an uncompressed delimited file; check the layout`,
  };
}

export type Delimiter = { ok: true; value: string; note: string | null } | { ok: false; error: string };

const NAMED_DELIMITERS: Record<string, string> = { tab: '\t', '\\t': '\t', space: ' ', pipe: '|', comma: ',' };

/**
 * The legacy column holds text as someone typed it for a Redshift DELIMITER
 * literal: `\t` is two characters there (backslash, t) and meant a tab.
 */
export function decodeDelimiter(raw: string): Delimiter {
  const named = NAMED_DELIMITERS[raw.trim().toLowerCase()];
  let value: string;
  if (named !== undefined) value = named;
  else {
    let bad: string | null = null;
    value = raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[0-7]{3}|.)/g, (m, e: string) => {
      if (e === 't') return '\t';
      if (e === '\\') return '\\';
      if (/^[xu]/i.test(e) && e.length > 1) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
      if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
      if (e === 'n' || e === 'r') bad = m;
      // Any other backslash pair stands for the character itself, as in a Redshift literal.
      return e;
    });
    if (bad !== null) {
      return {
        ok: false,
        error: `delimiter ${JSON.stringify(raw)} decodes to a line break (${bad}): a field delimiter cannot be a line break`,
      };
    }
  }
  if (value === '') return { ok: false, error: `delimiter ${JSON.stringify(raw)} is empty` };
  if (/[\r\n]/.test(value)) {
    return { ok: false, error: `delimiter ${JSON.stringify(raw)} contains a line break: not a field delimiter` };
  }
  const note =
    value === raw
      ? null
      : `legacy delimiter ${JSON.stringify(raw)} is the text of an escape; efi takes the character itself: ${describeChars(value)}`;
  return { ok: true, value, note };
}

function describeChars(s: string): string {
  return [...s]
    .map((c) =>
      c === '\t'
        ? 'a tab'
        : c === ' '
          ? 'a space'
          : /[\x00-\x1f\x7f]/.test(c)
            ? `U+${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`
            : JSON.stringify(c),
    )
    .join(' + ');
}

export type TrailerPosition = { ok: true; from: number; to: number } | { ok: false; error: string };

/**
 * trailer_pstn `start:end` was used as Python `line[start-1:end-1]`: 0-based
 * start-1 up to but excluding end-1, i.e. 1-based characters start .. end-1
 * inclusive. efi's countAt is 1-based and inclusive, hence `to = end - 1`.
 */
export function mapTrailerPosition(raw: string | null): TrailerPosition {
  const shown = JSON.stringify(raw);
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(raw ?? '');
  if (!m) {
    return {
      ok: false,
      error: `trailer_flag is Y but trailer_pstn ${shown} is not "start:end" (e.g. "1:10"), so where the record count sits is unknown`,
    };
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start < 1) {
    return {
      ok: false,
      error: `trailer_pstn ${shown}: start ${start} is below 1; Python's line[${start - 1}:${end - 1}] counted from the end of the line, which no fixed position reproduces`,
    };
  }
  if (end - 1 < start) {
    return {
      ok: false,
      error: `trailer_pstn ${shown}: Python's line[${start - 1}:${end - 1}] is empty, so the legacy count could never be read`,
    };
  }
  return { ok: true, from: start, to: end - 1 };
}

export type SplitTypes = { ok: true; types: string[]; prefixLength: number } | { ok: false; error: string };

/** `01,02,03`, `01|02|03` or `01 02 03` → record types of one common length. */
export function parseSplitPrefix(raw: string | null): SplitTypes {
  const types = [
    ...new Set(
      (raw ?? '')
        .split(/[,|;\s]+/)
        .map((t) => t.trim())
        .filter((t) => t !== ''),
    ),
  ];
  const shown = JSON.stringify(raw);
  if (types.length === 0) {
    return { ok: false, error: `split_file_flag is Y but split_prefix ${shown} lists no record types` };
  }
  const lengths = new Set(types.map((t) => [...t].length));
  if (lengths.size > 1) {
    return {
      ok: false,
      error: `split_prefix ${shown} lists record types of different lengths (${types.join(', ')}): efi splits on a fixed number of leading characters`,
    };
  }
  const prefixLength = [...lengths][0]!;
  if (prefixLength > 32) {
    return { ok: false, error: `split_prefix ${shown}: record types longer than 32 characters are not supported` };
  }
  return { ok: true, types, prefixLength };
}

/**
 * The post-load SQL without the trailing `;`. Several statements run as
 * written: on Redshift as one BatchExecuteStatement (one transaction), locally
 * in one transaction; only more than one batch holds is for review.
 */
export function transformSql(query: string | null): { sql: string | null; review: string | null } {
  const sql = (query ?? '').trim().replace(/[\s;]+$/, '');
  if (sql === '') return { sql: null, review: null };
  // The same scanner as validate and the Redshift adapter: ';' in literals, identifiers, comments and $$ bodies is not a separator.
  const n = statementCount(sql);
  const review =
    n > MAX_LOAD_STATEMENTS
      ? `query holds ${n} statements; Redshift's Data API runs at most ${MAX_LOAD_STATEMENTS} in one transaction: wrap them in a procedure and CALL it`
      : null;
  return { sql, review };
}
