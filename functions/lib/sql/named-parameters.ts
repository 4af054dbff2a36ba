/**
 * Named `:name` parameters in SQL text, the Redshift Data API's syntax, found
 * by a small scanner that knows PostgreSQL/Redshift quoting, and rewritten to
 * `$n` for drivers that bind by position. Values are always bound, never
 * spliced into the text.
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
  let count = 0;
  let open = false;
  scanSql(sql, (i) => {
    if (sql[i] === ';') open = false;
    else if (!/\s/.test(sql[i]!) && !open) {
      open = true;
      count++;
    }
    return 1;
  });
  return count;
}

/**
 * The statements of the SQL, trimmed and without their `;`, split where
 * `statementCount` counts (so the two always agree): pieces of only blanks
 * and comments are dropped; a comment before a statement stays with it.
 *
 * @example splitStatements("DELETE FROM t WHERE n = 'a;b'; CALL p();") // ["DELETE FROM t WHERE n = 'a;b'", 'CALL p()']
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let open = false;
  scanSql(sql, (i) => {
    if (sql[i] === ';') {
      if (open) out.push(sql.slice(start, i).trim());
      open = false;
      start = i + 1;
    } else if (!/\s/.test(sql[i]!)) open = true;
    return 1;
  });
  if (open) out.push(sql.slice(start).trim());
  return out;
}

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
 * Calls `visit` at each offset of SQL code (outside literals, quoted
 * identifiers, dollar-quoted bodies and comments; a quoted piece counts as one
 * code character at its start); `visit` returns how far to move on.
 */
function scanSql(sql: string, visit: (i: number) => number): void {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      visit(i);
      i = endOfQuoted(sql, i, c);
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl + 1;
    } else if (c === '/' && next === '*') {
      i = endOfBlockComment(sql, i);
    } else if (c === '$' && /[A-Za-z_$]/.test(next ?? '') && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        visit(i);
        const end = sql.indexOf(tag, i + tag.length);
        i = end === -1 ? sql.length : end + tag.length;
      } else i += visit(i);
    } else i += visit(i);
  }
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
