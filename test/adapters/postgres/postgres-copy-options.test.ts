import { describe, expect, it } from 'vitest';
import {
  copyOptionsSql,
  needsRewrite,
  REWRITTEN_COPY_OPTIONS,
} from '../../../functions/lib/adapters/postgres/postgres-copy-options.ts';
import { DEFAULT_LOAD_OPTIONS, type LoadOptions } from '../../../functions/lib/config/model.ts';
import { ConfigInvalid } from '../../../functions/lib/errors.ts';
import type { LoadFormat } from '../../../functions/lib/ports/warehouse.ts';

const CSV: LoadFormat = { layout: 'delimited', delimiter: ',', quote: '"', escape: null };
const render = (format: Partial<LoadFormat> = {}, options: Partial<LoadOptions> = {}, text: string[] = []) =>
  copyOptionsSql({ ...CSV, ...format }, { ...DEFAULT_LOAD_OPTIONS, ...options }, text);

describe('copyOptionsSql', () => {
  it('renders CSV with quoted literals for every character option', () => {
    expect(render()).toBe(`FORMAT csv, DELIMITER E',', QUOTE E'"', NULL E'', ENCODING 'UTF8'`);
    expect(render({ delimiter: "'", quote: '\\', escape: '\\' })).toBe(
      `FORMAT csv, DELIMITER E'''', QUOTE E'\\\\', ESCAPE E'\\\\', NULL E'', ENCODING 'UTF8'`,
    );
  });

  it('uses U+0001 as the quote when the format has none, so quotes are data', () => {
    expect(render({ delimiter: '|', quote: null })).toContain(`QUOTE E'\x01'`);
  });

  it("keeps empty text fields as empty strings without emptyAsNull (the marker is Redshift's \\N), and uses nullAs as the marker", () => {
    expect(render({}, { emptyAsNull: false }, ['name', 'code'])).toContain(`NULL E'\\\\N'`);
    expect(render({}, { emptyAsNull: false }, ['name', 'code'])).not.toContain('FORCE_NOT_NULL');
    expect(render({}, { emptyAsNull: true }, ['name'])).toContain(`NULL E''`);
    // NULL AS '' behaves as EMPTYASNULL (Redshift docs): the empty field is the marker.
    expect(render({}, { emptyAsNull: false, nullAs: '' }, ['name'])).toContain(`NULL E''`);
    const nullAs = render({}, { emptyAsNull: false, nullAs: 'N/A' }, ['name']);
    expect(nullAs).toContain(`NULL E'N/A'`);
    expect(nullAs).not.toContain('FORCE_NOT_NULL');
  });

  it.each<[string, Partial<LoadFormat>, Partial<LoadOptions>, RegExp]>([
    ['a multi-character delimiter', { delimiter: '||' }, {}, /delimiter "\|\|" must be a single one-byte character/],
    ['a multi-byte delimiter', { delimiter: '§' }, {}, /single one-byte character/],
    ['quote equal to delimiter', { quote: ',' }, {}, /must differ/],
    ['a multi-character escape', { quote: null, escape: '\\\\' }, {}, /escape/],
    ['escape with fixed width', { layout: 'fixed_width', escape: '\\' }, {}, /fixed_width/],
    ['a negative maxErrors', {}, { maxErrors: -1 }, /maxErrors -1 must be an integer/],
    ['a fractional maxErrors', {}, { maxErrors: 1.5 }, /maxErrors 1.5 must be an integer/],
    ['a multi-character acceptInvalidChars', {}, { acceptInvalidChars: '??' }, /one ASCII character/],
    ['a non-ASCII acceptInvalidChars', {}, { acceptInvalidChars: '€' }, /one ASCII character/],
    ['a line break as acceptInvalidChars', {}, { acceptInvalidChars: '\n' }, /line break/],
    ['the delimiter as acceptInvalidChars', {}, { acceptInvalidChars: ',' }, /the delimiter/],
    ['the quote as acceptInvalidChars', {}, { acceptInvalidChars: '"' }, /the quote/],
    ['the no-quote byte as acceptInvalidChars', { quote: null }, { acceptInvalidChars: '\x01' }, /the quote/],
    ['the escape as acceptInvalidChars', { quote: null, escape: '\\' }, { acceptInvalidChars: '\\' }, /the escape/],
    ['a line break in nullAs', {}, { nullAs: 'a\nb' }, /line break/],
  ])('refuses %s with ConfigInvalid naming it', (_what, format, options, message) => {
    expect(() => render(format, options)).toThrow(ConfigInvalid);
    expect(() => render(format, options)).toThrow(message);
  });

  it('accepts any other ASCII character as acceptInvalidChars, a space or a control character too (Redshift: any but NUL)', () => {
    for (const c of [' ', '\t', '\x7f', ';']) expect(() => render({}, { acceptInvalidChars: c })).not.toThrow();
    expect(() => render({ layout: 'fixed_width' }, { acceptInvalidChars: ',' })).not.toThrow();
  });

  it("leaves only 'auto' to PostgreSQL's parser: a format string, or none (Redshift's default), is matched strictly", () => {
    expect(needsRewrite(CSV, { ...DEFAULT_LOAD_OPTIONS, dateFormat: 'auto', timeFormat: 'auto' })).toBe(false);
    for (const strict of [
      { dateFormat: 'YYYY-MM-DD' },
      { timeFormat: 'YYYY-MM-DD HH:MI:SS' },
      { dateFormat: null },
      { timeFormat: null },
    ]) {
      expect(needsRewrite(CSV, { ...DEFAULT_LOAD_OPTIONS, ...strict })).toBe(true);
    }
  });

  it.each<[string, Partial<LoadFormat>, Partial<LoadOptions>]>([
    ['fixed width', { layout: 'fixed_width' }, {}],
    ['blanksAsNull', {}, { blanksAsNull: true }],
    ['truncateColumns', {}, { truncateColumns: true }],
    ['a dateFormat pattern', {}, { dateFormat: 'DD/MM/YYYY' }],
    ['a timeFormat pattern', {}, { timeFormat: 'epochsecs' }],
    ['nullAs with emptyAsNull', {}, { nullAs: 'NULL', emptyAsNull: true }],
    ['a backslash escape on unquoted text (Redshift ESCAPE)', { quote: null, escape: '\\' }, {}],
  ])('copies the rewritten canonical CSV for %s', (_what, format, options) => {
    expect(needsRewrite({ ...CSV, ...format }, { ...DEFAULT_LOAD_OPTIONS, ...options })).toBe(true);
    expect(render(format, options, ['name'])).toBe(REWRITTEN_COPY_OPTIONS);
  });

  it('keeps the fast path (no rewrite) for maxErrors and acceptInvalidChars alone', () => {
    for (const options of [{ maxErrors: 10 }, { acceptInvalidChars: '?' }]) {
      expect(needsRewrite(CSV, { ...DEFAULT_LOAD_OPTIONS, ...options })).toBe(false);
      expect(render({}, options)).toBe(render());
    }
  });
});
