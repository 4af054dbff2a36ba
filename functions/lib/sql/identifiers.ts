import { ConfigInvalid } from '../errors.ts';

/**
 * Identifier and literal quoting for generated warehouse SQL. Identifiers
 * from config are validated against a conservative pattern (what Redshift and
 * PostgreSQL both accept unquoted, lower-cased) and then quoted anyway, so a
 * config value can never change the shape of a statement.
 */

const IDENTIFIER = /^[a-z_][a-z0-9_$]{0,126}$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

export function assertIdentifier(name: string, what = 'identifier'): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new ConfigInvalid(
      `${what} ${JSON.stringify(name)} is not a valid identifier: use lower-case letters, digits, _ or $, starting with a letter or _, at most 127 characters`,
    );
  }
  return name;
}

export function quoteIdent(name: string, what?: string): string {
  return `"${assertIdentifier(name, what)}"`;
}

/**
 * Any name as a quoted identifier, embedded `"` doubled: for names read back
 * from a catalog (a schema created quoted, `"RDSCNFG"`), which `quoteIdent`'s
 * lower-case pattern would refuse, shown in SQL a user is told to run.
 *
 * @example quoteAnyIdent('RDSCNFG') // '"RDSCNFG"'; quoteAnyIdent('a"b') // '"a""b"'
 */
export function quoteAnyIdent(name: string): string {
  // PostgreSQL ends an identifier at a NUL, so no quoting can carry one.
  if (name.includes('\0')) throw new ConfigInvalid('a SQL identifier cannot contain a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteTable(ref: { schema: string; table: string }): string {
  return `${quoteIdent(ref.schema, 'schema')}.${quoteIdent(ref.table, 'table')}`;
}

/** Redshift literal: backslash is an escape character in Redshift string literals. */
export function quoteRedshiftLiteral(value: string): string {
  if (value.includes('\0')) throw new ConfigInvalid('a SQL literal cannot contain a NUL character');
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** PostgreSQL literal that keeps backslashes literal whatever standard_conforming_strings says: the same escaping in an E'' string. */
export function quotePgLiteral(value: string): string {
  return `E${quoteRedshiftLiteral(value)}`;
}
