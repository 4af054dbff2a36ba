/**
 * Named `:name` parameters in SQL text, the Redshift Data API's syntax, found
 * by a small scanner that knows PostgreSQL/Redshift quoting, and rewritten to
 * `$n` for drivers that bind by position. Values are always bound, never
 * spliced into the text. The same scanner decides where a statement ends.
 */

/** A named parameter, as the Data API's ExecuteStatement `Parameters` takes it. */
export interface SqlParameter {
  name: string;
  value: string;
}

export interface NamedParameterUse {
  name: string;
  /** Offset of the `:` in the SQL. */
  at: number;
}

/**
 * Where the SQL uses one of the `names` as a `:name` parameter, outside string
 * literals, quoted identifiers, dollar-quoted bodies and comments; `::type`
 * casts and other names are left alone. Names are lower case and matched as
 * written. `names` null: every `:name` (what config validation checks).
 */
export function namedParameters(sql: string, names: ReadonlySet<string> | null): NamedParameterUse[] {
  const out: NamedParameterUse[] = [];
  scanSql(sql, (i) => {
    if (sql[i] !== ':') return 1;
    if (sql[i + 1] === ':') return 2;
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))?.[0];
    if (name && (names === null || names.has(name))) out.push({ name, at: i });
    return 1 + (name?.length ?? 0);
  });
  return out;
}

/**
 * How many statements the SQL holds: `;`-separated pieces with something
 * besides blanks and comments, `;` in literals, quoted identifiers and
 * dollar-quoted bodies (a procedure's) not counted.
 */
export function statementCount(sql: string): number {
  return statementPieces(sql).length;
}

/**
 * The statements of the SQL, trimmed and without their `;`, split where
 * `statementCount` counts (so the two always agree): pieces of only blanks
 * and comments are dropped; a comment before a statement stays with it.
 *
 * @example splitStatements("DELETE FROM t WHERE n = 'a;b'; CALL p();") // ["DELETE FROM t WHERE n = 'a;b'", 'CALL p()']
 */
export function splitStatements(sql: string): string[] {
  return statementPieces(sql).map(([from, end]) => sql.slice(from, end).trim());
}

/** [after the previous `;`, this statement's `;` or the end) of each statement with code in it. */
function statementPieces(sql: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = 0;
  while (from < sql.length) {
    const end = statementEnd(sql, from);
    if (nextCode(sql, from) < end) out.push([from, end]);
    from = end + 1;
  }
  return out;
}

/**
 * Where the statement that goes on from `from` ends: the offset of its `;`
 * (outside literals, quoted identifiers, dollar-quoted bodies and comments),
 * or the end of the SQL. The one rule for where a statement ends: counting,
 * splitting the transform, and the legacy script reader all use it.
 *
 * @example statementEnd("SELECT ';' -- ;\n; SELECT 2", 0) // 16
 */
export function statementEnd(sql: string, from: number): number {
  return scanSql(sql, (i) => (sql[i] === ';' ? 0 : 1), from);
}

/** The offset of the first character of code at or after `from` (past blanks and comments), or the end of the SQL. */
export function nextCode(sql: string, from: number): number {
  return scanSql(sql, (i) => (BLANK.test(sql[i]!) ? 1 : 0), from);
}

const BLANK = /\s/;

/**
 * Offsets of string literals that hold a backslash before a quote (`'it\'s'`):
 * Redshift reads `\'` as a quote inside the literal, PostgreSQL (standard
 * strings) as its end, so the two warehouses see different SQL.
 */
export function backslashQuotes(sql: string): number[] {
  const out: number[] = [];
  scanSql(sql, (i) => {
    if (sql[i] === "'") {
      const end = endOfQuoted(sql, i, "'");
      // Each quote inside the literal as PostgreSQL ends it (the first of a
      // doubled pair, or the closing one): after an odd run of backslashes,
      // Redshift reads it as escaped ('a\'' || 'b'); 'C:\\' is fine.
      for (let q = sql.indexOf("'", i + 1); q !== -1 && q < end; q = sql.indexOf("'", q + 2)) {
        let n = 0;
        while (q - 1 - n > i && sql[q - 1 - n] === '\\') n++;
        if (n % 2 === 1) {
          out.push(i);
          break;
        }
      }
    }
    return 1;
  });
  return out;
}

/**
 * Calls `visit` at each offset of SQL code from `from` (outside literals,
 * quoted identifiers, dollar-quoted bodies and comments; a quoted piece counts
 * as one code character at its start); `visit` returns how far to move on, or
 * 0 to stop there. Returns where it stopped, or the end of the SQL.
 */
function scanSql(sql: string, visit: (i: number) => number, from = 0): number {
  let i = from;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl + 1;
    } else if (c === '/' && next === '*') {
      i = endOfBlockComment(sql, i);
    } else {
      const step = visit(i);
      if (step === 0) return i;
      const quoted = endOfQuotedPiece(sql, i);
      i = quoted === -1 ? i + step : quoted;
    }
  }
  return sql.length;
}

const IDENT_CHAR = /[A-Za-z0-9_$]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/;

/**
 * The index after the quoted piece starting at `i` (a '...' literal, an
 * E'...' one with backslash escapes, an "identifier", a $tag$ body $tag$), or
 * -1 when none starts there. Unterminated, it runs to the end of the SQL.
 */
function endOfQuotedPiece(sql: string, i: number): number {
  const c = sql[i];
  if (c === "'") {
    // E'...' takes backslash escapes; the E must be a word of its own (not the end of an identifier).
    const escapes = i > 0 && /[eE]/.test(sql[i - 1]!) && (i < 2 || !IDENT_CHAR.test(sql[i - 2]!));
    if (!escapes) return endOfQuoted(sql, i, "'");
    let k = i + 1;
    while (k < sql.length) {
      if (sql[k] === '\\') k += 2;
      else if (sql[k] === "'" && sql[k + 1] === "'") k += 2;
      else if (sql[k] === "'") return k + 1;
      else k++;
    }
    return sql.length;
  }
  if (c === '"') return endOfQuoted(sql, i, '"');
  if (c === '$' && (i === 0 || !IDENT_CHAR.test(sql[i - 1]!))) {
    // A tag is an identifier (at most 63 bytes in PostgreSQL): no need to look further.
    const tag = DOLLAR_TAG.exec(sql.slice(i, i + 130))?.[0];
    if (tag) {
      const end = sql.indexOf(tag, i + tag.length);
      return end === -1 ? sql.length : end + tag.length;
    }
  }
  return -1;
}

/** The index after the quoted text starting at `start` (a doubled quote stays inside), or the end of the SQL. */
export function endOfQuoted(sql: string, start: number, q: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === q) {
      if (sql[i + 1] === q) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** The index after the block comment starting at `start`, or the end of the SQL. */
export function endOfBlockComment(sql: string, start: number): number {
  // PostgreSQL block comments nest.
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

/**
 * `:name` → `$n` for drivers with positional parameters (PostgreSQL), with the
 * values in `$n` order. Each use gets a number of its own: PostgreSQL deduces
 * one type per `$n`, so `SELECT :run_id ... WHERE efi_run_id = :run_id` with one
 * `$1` fails 42P08 (text versus character varying), where the Data API, which
 * types each use by its place, runs it.
 *
 * @example toPositional('SELECT :run_id, :run_id', [{ name: 'run_id', value: 'r' }]) // { text: 'SELECT $1, $2', values: ['r', 'r'] }
 */
export function toPositional(sql: string, parameters: readonly SqlParameter[]): { text: string; values: string[] } {
  const byName = new Map(parameters.map((p) => [p.name, p.value]));
  const values: string[] = [];
  let text = '';
  let from = 0;
  for (const use of namedParameters(sql, new Set(byName.keys()))) {
    const value = byName.get(use.name);
    if (value === undefined) continue;
    text += `${sql.slice(from, use.at)}$${values.push(value)}`;
    from = use.at + 1 + use.name.length;
  }
  return { text: text + sql.slice(from), values };
}
