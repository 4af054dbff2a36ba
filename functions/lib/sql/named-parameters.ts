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
 * casts and other names are left alone. Names are lower case and matched as written.
 */
export function namedParameters(sql: string, names: ReadonlySet<string>): NamedParameterUse[] {
  const out: NamedParameterUse[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      i = endOfQuoted(sql, i, c);
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl + 1;
    } else if (c === '/' && next === '*') {
      i = endOfBlockComment(sql, i);
    } else if (c === '$' && /[A-Za-z_$]/.test(next ?? '') && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end === -1 ? sql.length : end + tag.length;
      } else i++;
    } else if (c === ':' && next === ':') {
      i += 2;
    } else if (c === ':') {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))?.[0];
      if (name && names.has(name)) {
        out.push({ name, at: i });
      }
      i += 1 + (name?.length ?? 0);
    } else i++;
  }
  return out;
}

function endOfQuoted(sql: string, start: number, q: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === q) {
      if (sql[i + 1] === q) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

function endOfBlockComment(sql: string, start: number): number {
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
 * values in `$n` order. A name used twice gets one number.
 *
 * @example toPositional('SELECT :run_id, :run_id', [{ name: 'run_id', value: 'r' }]) // { text: 'SELECT $1, $1', values: ['r'] }
 */
export function toPositional(sql: string, parameters: readonly SqlParameter[]): { text: string; values: string[] } {
  const byName = new Map(parameters.map((p) => [p.name, p.value]));
  const numbers = new Map<string, number>();
  const values: string[] = [];
  let text = '';
  let from = 0;
  for (const use of namedParameters(sql, new Set(byName.keys()))) {
    const value = byName.get(use.name);
    if (value === undefined) continue;
    let n = numbers.get(use.name);
    if (n === undefined) {
      n = values.push(value);
      numbers.set(use.name, n);
    }
    text += `${sql.slice(from, use.at)}$${n}`;
    from = use.at + 1 + use.name.length;
  }
  return { text: text + sql.slice(from), values };
}
