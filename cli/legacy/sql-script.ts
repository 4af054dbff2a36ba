import { lineAndColumnOfPosition } from '../../functions/lib/sql/error-position.ts';
import { endOfBlockComment, endOfQuoted } from '../../functions/lib/sql/named-parameters.ts';

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

const IDENT_CHAR = /[A-Za-z0-9_$]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/;
const COPY_FROM_STDIN = /^copy\s[\s\S]*\bfrom\s+stdin\b/i;

export function splitSqlScript(src: string): SplitScript {
  const statements: ScriptStatement[] = [];
  const metaCommands: SplitScript['metaCommands'] = [];
  let line = 1;
  let start = -1;
  let startLine = 0;
  let i = 0;
  const n = src.length;

  /** Advances to `to` (exclusive), counting the line breaks passed. */
  const advance = (to: number) => {
    for (let k = i; k < to && k < n; k++) if (src.charCodeAt(k) === 10) line++;
    i = Math.min(to, n);
  };
  const lineEnd = (from: number) => {
    const e = src.indexOf('\n', from);
    return e === -1 ? n : e;
  };

  while (i < n) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === '\n' || c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      advance(i + 1);
      continue;
    }
    if (c === '-' && next === '-') {
      advance(lineEnd(i));
      continue;
    }
    if (c === '/' && next === '*') {
      advance(endOfBlockComment(src, i));
      continue;
    }
    if (start === -1 && c === '\\') {
      const e = lineEnd(i);
      metaCommands.push({ line, text: src.slice(i, e).trim() });
      advance(e);
      continue;
    }
    if (start === -1) {
      start = i;
      startLine = line;
    }
    if (c === "'") {
      // E'...' takes backslash escapes; the E must be a word of its own (not the end of an identifier).
      const escapes = i > 0 && /[eE]/.test(src[i - 1]!) && (i < 2 || !IDENT_CHAR.test(src[i - 2]!));
      let k = i + 1;
      while (k < n) {
        if (escapes && src[k] === '\\') k += 2;
        else if (src[k] === "'" && src[k + 1] === "'") k += 2;
        else if (src[k] === "'") break;
        else k++;
      }
      advance(k + 1);
      continue;
    }
    if (c === '"') {
      advance(endOfQuoted(src, i, '"'));
      continue;
    }
    if (c === '$' && (i === 0 || !IDENT_CHAR.test(src[i - 1]!))) {
      const tag = DOLLAR_TAG.exec(src.slice(i, i + 130));
      if (tag) {
        const close = src.indexOf(tag[0], i + tag[0].length);
        advance(close === -1 ? n : close + tag[0].length);
        continue;
      }
    }
    if (c === ';') {
      const text = src.slice(start, i);
      const stmt: ScriptStatement = { text, line: startLine };
      advance(i + 1);
      if (COPY_FROM_STDIN.test(text)) {
        // The data starts on the line after the `;` and ends at a line that is exactly `\.`.
        advance(lineEnd(i) + 1);
        const rows: string[] = [];
        while (i < n) {
          const e = lineEnd(i);
          const row = src.slice(i, e).replace(/\r$/, '');
          advance(e + 1);
          if (row === '\\.') break;
          rows.push(`${row}\n`);
        }
        stmt.copyData = rows.join('');
      }
      statements.push(stmt);
      start = -1;
      continue;
    }
    advance(i + 1);
  }
  // psql runs a last statement without `;` at the end of the file too.
  if (start !== -1) {
    const text = src.slice(start).trimEnd();
    if (text !== '') statements.push({ text, line: startLine });
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
