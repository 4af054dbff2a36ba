import { stringify } from 'yaml';
import { ConfigInvalid } from '../errors.ts';
import { isIdentifier } from '../sql/identifiers.ts';
import { checkConfigYaml, formatIssue } from './load-yaml.ts';

/**
 * `efi config from-copy "COPY ..."`: an existing Redshift COPY statement →
 * one efi config YAML (with `defaults: redshift`, so every option left out
 * keeps the meaning it had in the COPY), validated like any config, plus a
 * report of each clause that was not carried over and why. Pure: no I/O.
 *
 * @example
 * fromCopy(`copy venue_new(venueid, venuename) from 's3://b/data/venue_noseats.txt'
 *   iam_role 'arn:aws:iam::0123456789012:role/R' delimiter '|';`).yaml
 */

export interface FromCopyResult {
  yaml: string;
  /** Clauses not carried into the config, each with the reason (what efi does instead, or why it cannot). */
  notMapped: string[];
  /** Problems `efi config validate` finds in the YAML, or why no YAML could be written (`yaml` empty); empty = valid. */
  issues: string[];
}

type Token =
  | { kind: 'word'; text: string; quoted?: boolean }
  | { kind: 'string'; text: string; start: number; end: number }
  | { kind: 'punct'; text: string };

/** Splits COPY text into words ("quoted" ones flagged), '...' literals (Redshift escapes decoded) and ( ) , ; . */
export function tokenizeCopy(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      // Scripts put a /* header */ before the COPY; Redshift's block comments do not nest.
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new ConfigInvalid('unterminated /* comment in the COPY statement');
      i = close + 2;
    } else if ('(),;.'.includes(c)) {
      out.push({ kind: 'punct', text: c });
      i++;
    } else if (c === "'") {
      const start = i;
      let text = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new ConfigInvalid('unterminated string literal in the COPY statement');
        const ch = sql[i]!;
        if (ch === "'" && sql[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (ch === "'") {
          i++;
          break;
        } else if (ch === '\\' && i + 1 < sql.length) {
          const next = sql[i + 1]!;
          const octal = /^[0-7]{3}/.exec(sql.slice(i + 1, i + 4));
          if (octal) {
            // A run of octal escapes is bytes: '\302\246' is the UTF-8 for ¦ (the docs' multibyte delimiter), not "Â¦".
            const bytes: number[] = [];
            let run: RegExpExecArray | null = octal;
            while (run) {
              bytes.push(Number.parseInt(run[0], 8) & 0xff);
              i += 4;
              run = sql[i] === '\\' ? /^[0-7]{3}/.exec(sql.slice(i + 1, i + 4)) : null;
            }
            text += octalBytesText(bytes);
          } else if (next === '0') {
            // The docs' NULL AS '\0' (as '\000'): the NUL character, not the digit 0 (which would make every "0" NULL).
            text += '\u0000';
            i += 2;
          } else {
            text += next === 't' ? '\t' : next === 'n' ? '\n' : next === 'r' ? '\r' : next;
            i += 2;
          }
        } else {
          text += ch;
          i++;
        }
      }
      out.push({ kind: 'string', text, start, end: i });
    } else if (c === '"') {
      // "a""b" is the identifier a"b.
      let text = '';
      i++;
      for (;;) {
        const close = sql.indexOf('"', i);
        if (close < 0) throw new ConfigInvalid('unterminated quoted identifier in the COPY statement');
        text += sql.slice(i, close);
        i = close + 1;
        if (sql[i] !== '"') break;
        text += '"';
        i++;
      }
      out.push({ kind: 'word', text, quoted: true });
    } else {
      // A "." or '"' ends a word: schema."Table" is three tokens.
      const m = /^[^\s(),;'".]+/.exec(sql.slice(i))!;
      out.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

/** The tokens of the first statement; text after its ';' is refused, not read as more options. */
function oneStatement(tokens: Token[]): Token[] {
  const end = tokens.findIndex((t) => t.kind === 'punct' && t.text === ';');
  if (end < 0) return tokens;
  if (tokens.slice(end + 1).some((t) => !(t.kind === 'punct' && t.text === ';'))) {
    throw new ConfigInvalid(
      'give one COPY statement: this text goes on after the first ";" (run from-copy once per COPY)',
    );
  }
  return tokens.slice(0, end);
}

/** Octal-escaped bytes as text: UTF-8 when they are valid UTF-8, else one character per byte (an ASCII '\174' stays '|'). */
function octalBytesText(bytes: number[]): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return String.fromCharCode(...bytes);
  }
}

const BOOLEAN_OPTIONS: Record<string, string> = {
  EMPTYASNULL: 'emptyAsNull',
  BLANKSASNULL: 'blanksAsNull',
  TRUNCATECOLUMNS: 'truncateColumns',
  IGNOREBLANKLINES: 'ignoreBlankLines',
  ACCEPTANYDATE: 'acceptAnyDate',
  REMOVEQUOTES: 'removeQuotes',
  FILLRECORD: 'fillRecord',
  TRIMBLANKS: 'trimBlanks',
  ROUNDEC: 'roundDecimals',
};

/** Options efi's deployment sets itself, or that only tune Redshift: not part of a feed config. */
const DEPLOYMENT: Record<string, number> = {
  IAM_ROLE: 1,
  CREDENTIALS: 1,
  ACCESS_KEY_ID: 1,
  SECRET_ACCESS_KEY: 1,
  SESSION_TOKEN: 1,
  REGION: 1,
  MASTER_SYMMETRIC_KEY: 1,
};

/** Options whose value is a key or a password: never copied into the YAML (it goes into git). */
const SECRET: Record<string, number> = {
  CREDENTIALS: 1,
  ACCESS_KEY_ID: 1,
  SECRET_ACCESS_KEY: 1,
  SESSION_TOKEN: 1,
  MASTER_SYMMETRIC_KEY: 1,
};

/** The statement for the config's description, each secret value replaced by '***'. */
function redacted(sql: string, secrets: readonly { start: number; end: number }[]): string {
  let out = sql;
  for (const s of [...secrets].sort((a, b) => b.start - a.start))
    out = `${out.slice(0, s.start)}'***'${out.slice(s.end)}`;
  return out;
}

export function fromCopy(sql: string, id = 'from-copy'): FromCopyResult {
  const tokens = oneStatement(tokenizeCopy(sql));
  const notMapped: string[] = [];
  const secrets: { start: number; end: number }[] = [];
  // Clauses that make any config from this COPY wrong (a columnar or JSON source): no YAML is returned.
  const refused: string[] = [];
  let pos = 0;
  const peek = () => tokens[pos];
  const word = () => {
    const t = tokens[pos];
    return t?.kind === 'word' ? t.text.toUpperCase() : undefined;
  };
  const next = () => tokens[pos++];
  const expectString = (what: string): string => {
    if (word() === 'AS') pos++;
    const t = next();
    if (t?.kind !== 'string') throw new ConfigInvalid(`${what} needs a '...' value`);
    return t.text;
  };

  if (word() !== 'COPY') throw new ConfigInvalid('expected a statement starting with COPY');
  pos++;
  // Redshift folds identifiers to lower case, quoted ones too (enable_case_sensitive_identifier is off by default).
  const folded: string[] = [];
  const identifier = (t: Token | undefined): string | undefined => {
    if (t?.kind !== 'word') return undefined;
    const lower = t.text.toLowerCase();
    if (t.quoted && lower !== t.text) folded.push(`"${t.text}"`);
    return lower;
  };
  const nameParts: string[] = [];
  for (;;) {
    const part = identifier(next());
    if (part === undefined) throw new ConfigInvalid('expected the table name after COPY');
    nameParts.push(part);
    if (peek()?.text !== '.') break;
    pos++;
  }
  if (nameParts.length > 3)
    throw new ConfigInvalid(`expected [database.][schema.]table after COPY, got ${nameParts.join('.')}`);
  const [table, schema = 'public', database] = [...nameParts].reverse();
  if (database !== undefined) {
    notMapped.push(
      `database ${database}: efi loads into the database it is deployed with (EFI_REDSHIFT_DATABASE), so the target is ${schema}.${table}`,
    );
  }
  const columns: string[] = [];
  if (peek()?.text === '(') {
    pos++;
    while (peek() && peek()!.text !== ')') {
      const t = next()!;
      if (t.kind === 'word') columns.push(identifier(t)!);
      else if (t.text !== ',') throw new ConfigInvalid(`unexpected ${t.text} in the column list`);
    }
    if (!peek()) throw new ConfigInvalid('the column list has no closing )');
    pos++;
  }
  if (word() !== 'FROM') throw new ConfigInvalid('expected FROM after the table');
  pos++;
  const from = next();
  if (from?.kind !== 'string') throw new ConfigInvalid("expected FROM 's3://bucket/key'");
  // COPY also reads DynamoDB tables, EMR clusters' HDFS and SSH hosts (the docs' FAVORITEMOVIES and SALES
  // examples); efi's files arrive in S3, so a config matching S3 keys would load something else.
  if (!/^s3:\/\//i.test(from.text)) {
    const source = /^(\w+):\/\//.exec(from.text)?.[1]?.toLowerCase() ?? 'that';
    refused.push(
      `FROM '${from.text}': efi loads files that arrive in S3, and ${source}:// is not S3, so no config is written (copy the data to S3 as files first)`,
    );
  }

  const format: Record<string, unknown> = {};
  const load: Record<string, unknown> = {};
  let header: number | undefined;
  let widths: { label: string; width: number }[] | undefined;
  let manifest = false;

  while (pos < tokens.length) {
    const t = next()!;
    if (t.kind === 'punct') continue;
    if (t.kind === 'string') {
      notMapped.push(`stray value '${t.text}'`);
      continue;
    }
    const w = t.text.toUpperCase();
    if (w === 'WITH' || w === 'FORMAT') {
      if (word() === 'AS') pos++;
      continue;
    }
    if (w in DEPLOYMENT) {
      // REGION [AS] 'r', CREDENTIALS [AS] '...', IAM_ROLE { DEFAULT | 'arn' }: their value is not an option.
      if (word() === 'AS') pos++;
      const value = peek();
      if (value?.kind === 'string') {
        if (w in SECRET) secrets.push(value);
        pos++;
      } else if (w === 'IAM_ROLE' && word() === 'DEFAULT') pos++;
      notMapped.push(`${w}: set by efi's deployment (EFI_COPY_ROLE_ARN / the bucket's region), not by a feed config`);
    } else if (w in BOOLEAN_OPTIONS) {
      load[BOOLEAN_OPTIONS[w]!] = true;
    } else if (w === 'CSV') {
      format['quote'] = '"';
      if (word() === 'QUOTE') {
        pos++;
        format['quote'] = expectString('QUOTE');
      }
    } else if (w === 'QUOTE') {
      format['quote'] = expectString('QUOTE');
    } else if (w === 'DELIMITER') {
      format['delimiter'] = expectString('DELIMITER');
    } else if (w === 'FIXEDWIDTH') {
      format['layout'] = 'fixed_width';
      widths = expectString('FIXEDWIDTH')
        .split(',')
        .map((p) => {
          const [label, width] = p.split(':');
          return { label: (label ?? '').trim(), width: Number(width) };
        });
    } else if (w === 'ESCAPE') {
      format['escape'] = '\\';
    } else if (w === 'GZIP' || w === 'BZIP2' || w === 'ZSTD') {
      format['compression'] = w.toLowerCase();
    } else if (w === 'LZOP') {
      format['compression'] = 'lzop';
      notMapped.push('LZOP: efi cannot read lzop files (validate refuses it): recompress as gzip, bzip2 or zstd');
    } else if (w === 'ENCODING') {
      if (word() === 'AS') pos++;
      const enc = next()?.text.toUpperCase();
      if (enc?.startsWith('UTF16')) {
        // A config reading utf-8 would misread every byte of the file: like a JSON source, none is written.
        refused.push(
          `ENCODING ${enc}: efi reads utf-8, latin1 or windows-1252 files (format.encoding), so no config is written; convert the files to UTF-8`,
        );
      } else if (enc !== 'UTF8') {
        notMapped.push(`ENCODING ${enc}: efi reads utf-8, latin1 or windows-1252 (format.encoding)`);
      }
    } else if (w === 'IGNOREHEADER') {
      if (word() === 'AS') pos++;
      header = Number(next()?.text);
    } else if (w === 'DATEFORMAT') {
      load['dateFormat'] = expectString('DATEFORMAT');
    } else if (w === 'TIMEFORMAT') {
      load['timeFormat'] = expectString('TIMEFORMAT');
    } else if (w === 'NULL') {
      load['nullAs'] = expectString('NULL AS');
    } else if (w === 'ACCEPTINVCHARS') {
      if (word() === 'AS') pos++;
      load['acceptInvalidChars'] = peek()?.kind === 'string' ? next()!.text : '?';
    } else if (w === 'MAXERROR') {
      if (word() === 'AS') pos++;
      load['maxErrors'] = Number(next()?.text);
    } else if (w === 'NOLOAD') {
      // A NOLOAD COPY only checks the file; the config loads it: say so rather than "not an option efi knows".
      notMapped.push(
        'NOLOAD: this COPY only validates; the config loads the files it matches (efi check FILE validates one without loading)',
      );
    } else if (w === 'MANIFEST') {
      manifest = true;
    } else if (w === 'COMPROWS' || w === 'READRATIO') {
      if (peek()?.kind === 'word' && /^\d+$/.test(peek()!.text)) pos++;
      notMapped.push(
        w === 'COMPROWS'
          ? 'COMPROWS: compression sampling tunes Redshift only; efi loads a stage table with COMPUPDATE OFF'
          : 'READRATIO: applies to a DynamoDB source only',
      );
    } else if (w === 'COMPUPDATE' || w === 'STATUPDATE') {
      if (['ON', 'OFF', 'TRUE', 'FALSE', 'PRESET'].includes(word() ?? '')) pos++;
      notMapped.push(`${w}: efi always loads a stage table with COMPUPDATE OFF STATUPDATE OFF`);
    } else if (w === 'SSH') {
      // FROM is then a manifest of hosts whose commands' output COPY loads: no file arrives in S3.
      refused.push(
        'SSH: COPY runs the commands the manifest names on remote hosts; efi loads files that arrive in S3, so no config is written (have the hosts write files to S3)',
      );
    } else if (w === 'ENCRYPTED') {
      // Client-side encrypted objects: efi would read the ciphertext as text (S3 server-side encryption needs no option).
      refused.push(
        'ENCRYPTED: the files are client-side encrypted and efi reads them as they are in S3, so no config is written (deliver them with server-side encryption, SSE-S3 or SSE-KMS)',
      );
    } else if (['JSON', 'AVRO', 'PARQUET', 'ORC', 'SHAPEFILE'].includes(w)) {
      if (word() === 'AS') pos++;
      if (peek()?.kind === 'string') pos++;
      refused.push(
        `${w}: efi loads delimited and fixed-width text only; a config from this COPY would read the file as text, so none is written`,
      );
    } else {
      notMapped.push(`${w}: not an option efi knows`);
    }
  }

  // Nothing about a config that is not written (its match, its columns): only why not.
  if (refused.length > 0) return { yaml: '', notMapped, issues: refused };
  // With MANIFEST, FROM names the manifest, not the data: a glob for its name would match the manifest file itself.
  const glob = manifest ? globFor(from.text.replace(/[^/]*$/, '')) : globFor(from.text);
  const entry: Record<string, unknown> = {
    id,
    description: `From: ${redacted(sql, secrets).replace(/\s+/g, ' ').trim().slice(0, 200)}`,
    defaults: 'redshift',
    match: { glob },
  };
  if (folded.length > 0) {
    notMapped.push(
      `${folded.join(', ')}: folded to lower case, as Redshift does unless enable_case_sensitive_identifier is on`,
    );
  }
  notMapped.push(
    manifest
      ? `MANIFEST: FROM '${from.text}' is a manifest; efi matches each data file as it arrives (and writes its own manifest of the parts it prepares), so the glob ${glob} is the manifest's folder: write match from the keys the manifest lists`
      : `FROM '${from.text}': matched as glob ${glob}: review it`,
  );
  if (Object.keys(format).length > 0) entry['format'] = format;
  if (header !== undefined) entry['header'] = { lines: header };
  entry['target'] = { schema: schema!.toLowerCase(), table: table!.toLowerCase() };
  if (widths) {
    const names = columns.length === widths.length ? columns : widths.map((w) => w.label.toLowerCase());
    if (columns.length > 0 && columns.length !== widths.length) {
      notMapped.push(`the column list has ${columns.length} names, FIXEDWIDTH ${widths.length}: the labels were used`);
    }
    entry['columns'] = names.map((n, i) => ({ name: n, width: widths![i]!.width }));
    if (!names.every(isIdentifier)) notMapped.push('FIXEDWIDTH labels are not column names: rename them');
  } else if (columns.length > 0) {
    entry['columns'] = columns;
  } else {
    notMapped.push(
      "no column list: columns left out, so efi loads the table's columns in order as COPY does (lineage columns excepted)",
    );
  }
  if (Object.keys(load).length > 0) entry['load'] = load;
  // COPY has no lineage columns: keep the table as it is.
  entry['lineage'] = false;

  const iface = (table ?? 'feed').toLowerCase().replace(/[^a-z0-9_.-]/g, '_');
  const yaml = stringify({ interface: iface, files: [entry] }, { lineWidth: 0 });
  const issues = checkConfigYaml(yaml, 'from-copy.yaml').issues.map(formatIssue);
  return { yaml, notMapped, issues };
}

// The glob for a FROM: COPY reads every key the FROM prefixes, so the name anywhere, with any suffix and the keys
// under it when it is a folder ('s3://b/exports/2024-01-01', Airflow's s3_key, holds 2024-01-01/part-000), or a folder's keys.
function globFor(uri: string): string {
  const key = uri.replace(/^s3:\/\/[^/]+\/?/, '');
  if (key === '' || key.endsWith('/')) {
    const dir = key.replace(/\/$/, '').split('/').pop();
    return dir ? `**/${globLiteral(dir)}/**` : '**';
  }
  return `**/${globLiteral(key.split('/').pop()!)}*{,/**}`;
}

// A key is literal text: its * ? [ ] { } , (and \) would otherwise be glob syntax (file[1].csv, {{ ds }} templates).
function globLiteral(text: string): string {
  return text.replace(/[*?[\]{},\\]/g, (c) => `\\${c}`);
}
