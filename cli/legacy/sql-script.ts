import { lineAndColumnOfPosition } from '../../functions/lib/sql/error-position.ts';
import { nextCode, statementEnd } from '../../functions/lib/sql/named-parameters.ts';

/**
 * Splits a SQL script (the original framework's DDL/DML files, or a plain
 * `pg_dump`) into statements the way psql reads it, so each statement can be
 * run on its own and an error named by file and line. Pure: no I/O.
 *
 * Understood: `--` and nested `/* *\/` comments, '...' (with ''), E'...' (with
 * backslash escapes), "identifiers", $tag$ bodies $tag$, psql meta-commands
 * (a line starting with `\` where a statement would start: skipped, as they
 * are psql's, not the server's) and `COPY ... FROM stdin;` followed by its data
 * lines up to `\.` (how pg_dump writes rows).
 */

export interface ScriptStatement {
  /** The statement as written, without its terminating `;`. */
  text: string;
  /** 1-based line of the statement's first character. */
  line: number;
  /** For `COPY ... FROM stdin`: the data lines that followed it (each ending in \n), without the `\.` line. */
  copyData?: string;
}

export interface SplitScript {
  statements: ScriptStatement[];
  /** psql meta-commands (`\connect`, `\restrict`, ...) that were skipped, with their lines. */
  metaCommands: { line: number; text: string }[];
}

const COPY_FROM_STDIN = /^copy\s[\s\S]*\bfrom\s+stdin\b/i;

export function splitSqlScript(src: string): SplitScript {
  const statements: ScriptStatement[] = [];
  const metaCommands: SplitScript['metaCommands'] = [];
  const n = src.length;
  // Line numbers are asked for at offsets that only grow: count the line breaks once.
  let counted = 0;
  let line = 1;
  const lineAt = (at: number) => {
    for (; counted < at; counted++) if (src.charCodeAt(counted) === 10) line++;
    return line;
  };
  const lineEnd = (from: number) => {
    const e = src.indexOf('\n', from);
    return e === -1 ? n : e;
  };

  let i = 0;
  while (i < n) {
    const start = nextCode(src, i);
    if (start === n) break;
    if (src[start] === '\\') {
      // A psql meta-command where a statement would start: psql's, not the server's.
      const e = lineEnd(start);
      metaCommands.push({ line: lineAt(start), text: src.slice(start, e).trim() });
      i = e;
      continue;
    }
    // Where the statement ends is the functions' scanner's rule (sql/named-parameters.ts), with E'...' escapes.
    const end = statementEnd(src, start);
    if (end === n) {
      // psql runs a last statement without `;` at the end of the file too.
      statements.push({ text: src.slice(start).trimEnd(), line: lineAt(start) });
      break;
    }
    const text = src.slice(start, end);
    const stmt: ScriptStatement = { text, line: lineAt(start) };
    i = end + 1;
    if (COPY_FROM_STDIN.test(text)) {
      // The data starts on the line after the `;` and ends at a line that is exactly `\.`.
      i = Math.min(lineEnd(i) + 1, n);
      const rows: string[] = [];
      while (i < n) {
        const e = lineEnd(i);
        const row = src.slice(i, e).replace(/\r$/, '');
        i = Math.min(e + 1, n);
        if (row === '\\.') break;
        rows.push(`${row}\n`);
      }
      stmt.copyData = rows.join('');
    }
    statements.push(stmt);
  }
  return { statements, metaCommands };
}

/** The statement's first keyword(s), lower case, comments left out. */
function head(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .trim()
    .slice(0, 200)
    .toLowerCase()
    .replace(/\s+/g, ' ');
}

export type StatementKind = 'ddl' | 'dml' | 'transaction' | 'privilege' | 'other';

/**
 * What a statement does, for ordering files (DDL before DML) and for the
 * statements the throwaway database skips (transaction control: each file
 * runs in a transaction of its own; ownership and grants: the roles do not
 * exist there, and who may read a table does not change its rows).
 */
export function statementKind(text: string): StatementKind {
  const h = head(text);
  if (/^(begin|start transaction|commit|end|rollback|abort)\b/.test(h)) return 'transaction';
  // `ALTER <object> name OWNER TO role` (pg_dump's form), not `ALTER TABLE t RENAME COLUMN owner TO x`.
  if (/^(grant|revoke)\b/.test(h) || (/^alter\b/.test(h) && !/\brename\b/.test(h) && /\sowner to \S+$/.test(h))) {
    return 'privilege';
  }
  if (/^(create|alter|drop|comment)\b/.test(h)) return 'ddl';
  if (/^(insert|update|delete|copy|merge|truncate|with|call)\b/.test(h)) return 'dml';
  return 'other';
}

/** The line of the script a character position (1-based, as PostgreSQL reports it) inside a statement is on. */
export function lineOfPosition(stmt: ScriptStatement, position: number): number {
  return stmt.line + lineAndColumnOfPosition(stmt.text, position).line - 1;
}
