import { FileEntrySchema } from '../../functions/lib/config/schema.ts';

/**
 * The COPY options the original framework put on every load, as data: the
 * efi `load` option each one maps to, and what a migrated feed loses when this
 * efi's config schema has no such option yet. Whether an option exists is
 * asked of the schema itself (a strict object refuses unknown keys), so an
 * option added to `load` later (acceptAnyDate, removeQuotes) is used by the
 * import without touching this file.
 */

export interface LegacyCopyOption {
  /** The clause in the original's COPY. */
  copy: string;
  /** Key under `load:` in an efi config. */
  option: string;
  value: unknown;
  /** What differs when the option cannot be set (shown in the report). */
  without: string;
}

/** Added by the original to every COPY it rendered, whatever the config row said. */
export const LEGACY_FIXED_COPY_OPTIONS: readonly LegacyCopyOption[] = [
  {
    copy: 'ACCEPTINVCHARS',
    option: 'acceptInvalidChars',
    value: '?',
    without: 'an invalid UTF-8 byte rejects the file instead of loading as ?',
  },
  {
    copy: 'ACCEPTANYDATE',
    option: 'acceptAnyDate',
    value: true,
    without:
      'a value that does not parse as a date or timestamp (13/7/2013) in a DATE/TIMESTAMP column rejects the file, where the original loaded NULL; text columns are not affected',
  },
  { copy: "DATEFORMAT 'auto'", option: 'dateFormat', value: 'auto', without: '' },
  { copy: "TIMEFORMAT 'auto'", option: 'timeFormat', value: 'auto', without: '' },
  { copy: 'IGNOREBLANKLINES', option: 'ignoreBlankLines', value: true, without: '' },
  {
    copy: '(no EMPTYASNULL)',
    option: 'emptyAsNull',
    value: false,
    without: "an empty field loads NULL instead of ''",
  },
];

/** Added when `escape_char` was set; the character itself was never rendered (no ESCAPE). */
export const LEGACY_REMOVE_QUOTES: LegacyCopyOption = {
  copy: 'REMOVEQUOTES',
  option: 'removeQuotes',
  value: true,
  without: '',
};

const supported = new Map<string, boolean>();

/** Whether this efi's config schema has `load.<option>` taking `value`. */
export function loadOptionSupported(option: string, value: unknown): boolean {
  const key = `${option}=${JSON.stringify(value)}`;
  let ok = supported.get(key);
  if (ok === undefined) {
    const probe = {
      id: 'probe',
      match: { token: 'probe' },
      target: { schema: 'probe', table: 'probe' },
      columns: ['probe'],
      format: { quote: null },
      load: { [option]: value },
    };
    ok = FileEntrySchema.safeParse(probe).success;
    supported.set(key, ok);
  }
  return ok;
}
