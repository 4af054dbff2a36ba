import pg from 'pg';
import { ConfigInvalid, classifyError, TransientError } from '../../functions/lib/errors.ts';
import { assertIdentifier, quoteAnyIdent } from '../../functions/lib/sql/identifiers.ts';
import { redactUrl } from '../redact-url.ts';

/**
 * Reads the original framework's three config tables as they are. Every value
 * comes back as text (numeric ids and widths included), so nothing is rounded
 * or reinterpreted before the mapping decides what it means.
 */

export interface LegacyInterfaceRow {
  /** NULL only where the table lacks the original's primary key. */
  cid: string | null;
  name: string | null;
  description: string | null;
  flag: string | null;
}

export interface LegacyFileConfigRow {
  /** NULL only where the table lacks the original's primary key; such a row is skipped. */
  sid: number | null;
  /** NULL only where the table lacks the original's NOT NULL; such a row is skipped. */
  cid: string | null;
  tgtSchema: string | null;
  tgtTable: string | null;
  filePrefix: string | null;
  fileFormat: string | null;
  fileType: string | null;
  delimiter: string | null;
  headerFlag: string | null;
  trailerFlag: string | null;
  query: string | null;
  splitFileFlag: string | null;
  splitPrefix: string | null;
  escapeChar: string | null;
  trailerPstn: string | null;
  flag: string | null;
}

export interface LegacyColumnRow {
  sid: number;
  /** NULL only where the table lacks the original's NOT NULL; such a row belongs to no config. */
  configSid: number | null;
  name: string | null;
  /** column_width_fixed as text (numeric(20)). */
  width: string | null;
  /** column_order_sqnc as text (numeric(5,2)). */
  order: string | null;
  flag: string | null;
}

export interface LegacyTables {
  /** The schema they were read from, as PostgreSQL spells it (see resolveSchemaCase); absent in tests. */
  schema?: string;
  interfaces: LegacyInterfaceRow[];
  configs: LegacyFileConfigRow[];
  columns: LegacyColumnRow[];
}

export const LEGACY_TABLES = ['ext_interface', 'ext_file_config', 'ext_file_config_dtl'] as const;

/** Never let a password reach a message, whatever the driver put in it. */
function scrub(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // an unparseable URL has no password we could find
  }
  return password ? message.split(password).join('***') : message;
}

/** Schema names fold to lower case in PostgreSQL unless quoted; the legacy DDL used RDSCNFG unquoted. */
export function legacySchemaName(schema: string): string {
  return assertIdentifier(schema.trim().toLowerCase(), 'legacy schema (--schema)');
}

/**
 * A --schema as given (any case), for a schema created quoted ("RDSCNFG"); nothing but letters, digits, _ and $,
 * so it can be quoted as it is. The CLI checks --schema with it too.
 */
export const SCHEMA_AS_GIVEN = /^[A-Za-z_][A-Za-z0-9_$]{0,126}$/;

function quoteSchema(name: string): string {
  if (!SCHEMA_AS_GIVEN.test(name)) {
    throw new ConfigInvalid(
      `legacy schema (--schema) ${JSON.stringify(name)} is not a schema name: letters, digits, _ or $`,
    );
  }
  return `"${name}"`;
}

/**
 * The folded name (`--schema RDSCNFG` → rdscnfg) is what the original's
 * unquoted DDL made; a schema created quoted keeps its case, and only the name
 * as given reaches it. The folded one wins when it holds any legacy table.
 */
async function resolveSchemaCase(client: pg.Client, folded: string, asGiven: string): Promise<string> {
  if (asGiven === folded || !SCHEMA_AS_GIVEN.test(asGiven)) return folded;
  const found = await client.query<{ schema: string }>(
    `SELECT DISTINCT n.nspname AS schema
       FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid
      WHERE n.nspname = ANY($1::text[]) AND c.relname = ANY($2::text[])`,
    [[folded, asGiven], [...LEGACY_TABLES]],
  );
  const names = new Set(found.rows.map((r) => r.schema));
  return !names.has(folded) && names.has(asGiven) ? asGiven : folded;
}

/** Where the reader connects, and how messages name it without secrets. */
export interface LegacyReadTarget {
  /** Names the database in messages (a URL with its password replaced). */
  label: string;
  /** Removes secrets from a driver message. */
  scrub: (message: string) => string;
  /** What to check when the connection fails. */
  connectHint?: string;
  /** What to do when the schema lacks some of the tables, given the original's scripts that create them. */
  createHint?: (scripts: string) => string;
}

const RDS_CA_BUNDLE = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

/**
 * What to change in --from when the connection fails. RDS for PostgreSQL 15
 * and later refuses unencrypted connections by default (rds.force_ssl), which
 * the driver reports as a pg_hba.conf rejection "no encryption": the fix is in
 * the URL, not in the host or password.
 */
export function connectionHint(message: string, fallback: string): string {
  if (/no encryption/i.test(message)) {
    return `the server accepts only SSL connections (RDS does by default): add ?sslmode=verify-full&sslrootcert=PATH to --from, PATH being the RDS CA bundle (${RDS_CA_BUNDLE})`;
  }
  if (/certificate/i.test(message)) {
    return `the server's certificate is not trusted: add sslrootcert=PATH to --from, PATH being the CA bundle that signed it (for RDS: ${RDS_CA_BUNDLE})`;
  }
  return fallback;
}

/** Reads the three tables from the legacy config database at `url` (`--from`). */
export function readLegacyTables(url: string, schemaOption: string): Promise<LegacyTables> {
  return readLegacyTablesWith({ connectionString: url, connectionTimeoutMillis: 15_000 }, schemaOption, {
    label: redactUrl(url),
    scrub: (m) => scrub(m, url),
    connectHint: 'check host, port, database, user and password in --from',
  });
}

/**
 * Reads the three tables through any `pg` client configuration: a server
 * (`--from`) or PGlite in-process (`createPgConfig`, for `--sql`), so both
 * paths read, and then map, the same way.
 */
export async function readLegacyTablesWith(
  config: pg.ClientConfig,
  schemaOption: string,
  target: LegacyReadTarget,
): Promise<LegacyTables> {
  const folded = legacySchemaName(schemaOption);
  const client = new pg.Client(config);
  // An idle-connection error would otherwise crash the process with the driver's text.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    const err = e as Error & { code?: string };
    const hint = target.connectHint ? connectionHint(err.message, target.connectHint) : null;
    const message = `cannot connect to the legacy config database ${target.label}: ${target.scrub(err.message)}${hint ? `; ${hint}` : ''}`;
    throw classifyError(err) instanceof TransientError ? new TransientError(message) : new ConfigInvalid(message);
  }
  let schema = folded;
  try {
    schema = await resolveSchemaCase(client, folded, schemaOption.trim());
    await assertTablesExist(client, schema, target);
    const s = quoteSchema(schema);
    const interfaces = await client.query<LegacyInterfaceRow>(
      `SELECT ext_interface_cid::text AS cid, interface_name AS name, interface_desc AS description,
              oprtnl_flag AS flag
         FROM ${s}.ext_interface ORDER BY ext_interface_cid`,
    );
    const configs = await client.query<LegacyFileConfigRow>(
      `SELECT ext_file_config_sid::int AS sid, ext_interface_cid::text AS cid,
              tgt_schema_name AS "tgtSchema", tgt_table_name AS "tgtTable", file_prefix AS "filePrefix",
              file_format AS "fileFormat", file_type AS "fileType", delimiter, header_flag AS "headerFlag",
              trailer_flag AS "trailerFlag", query, split_file_flag AS "splitFileFlag",
              split_prefix AS "splitPrefix", escape_char AS "escapeChar", trailer_pstn AS "trailerPstn",
              oprtnl_flag AS flag
         FROM ${s}.ext_file_config ORDER BY ext_file_config_sid`,
    );
    const columns = await client.query<LegacyColumnRow>(
      `SELECT ext_file_config_dtl_sid::int AS sid, ext_file_config_sid::int AS "configSid",
              column_name AS name, column_width_fixed::text AS width, column_order_sqnc::text AS "order",
              oprtnl_flag AS flag
         FROM ${s}.ext_file_config_dtl ORDER BY ext_file_config_sid, column_order_sqnc, ext_file_config_dtl_sid`,
    );
    return { schema, interfaces: interfaces.rows, configs: configs.rows, columns: columns.rows };
  } catch (e) {
    if (e instanceof ConfigInvalid) throw e;
    const err = e as Error & { code?: string };
    // 42703 undefined column: a table that is not the legacy one, or an older variant of it.
    const hint =
      err.code === '42703'
        ? `; the legacy tables in schema ${schema} lack a column import-legacy reads (see docs/legacy-import.md for the expected columns)`
        : err.code === '42501'
          ? `; GRANT USAGE ON SCHEMA ${quoteAnyIdent(schema)} and SELECT ON its ${LEGACY_TABLES.join(', ')} to the user of ${target.label} (import-legacy only reads), or connect as one who may`
          : '';
    throw new ConfigInvalid(
      `reading the legacy config tables in schema ${schema} of ${target.label} failed: ${target.scrub(err.message)}${hint}`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The columns the reader selects, with their type in the original's DDL
 * (`RDS SQLs/DDLs/rdscnfg.<table>.sql`), so a table that lacks one is named
 * with the ALTER TABLE that adds it.
 */
export const LEGACY_COLUMNS: Record<(typeof LEGACY_TABLES)[number], Record<string, string>> = {
  ext_interface: {
    ext_interface_cid: 'numeric(30)',
    interface_name: 'varchar(200)',
    interface_desc: 'varchar(4000)',
    oprtnl_flag: "varchar(1) DEFAULT 'A'",
  },
  ext_file_config: {
    ext_file_config_sid: 'int4',
    ext_interface_cid: 'numeric(30)',
    tgt_schema_name: 'varchar(200)',
    tgt_table_name: 'varchar(200)',
    file_prefix: 'varchar(50)',
    file_format: 'varchar(50)',
    file_type: 'varchar(50)',
    delimiter: 'varchar(20)',
    header_flag: 'varchar(1)',
    trailer_flag: 'varchar(1)',
    query: 'varchar(65535)',
    split_file_flag: 'varchar(1)',
    split_prefix: 'varchar(50)',
    escape_char: 'varchar(50)',
    trailer_pstn: 'varchar(50)',
    oprtnl_flag: "varchar(1) DEFAULT 'A'",
  },
  ext_file_config_dtl: {
    ext_file_config_dtl_sid: 'int4',
    ext_file_config_sid: 'int4',
    column_name: 'varchar(200)',
    column_width_fixed: 'numeric(20)',
    column_order_sqnc: 'numeric(5, 2)',
    oprtnl_flag: "varchar(1) DEFAULT 'A'",
  },
};

/** Tables, views and their kin: what a SELECT can read. */
const READABLE_KINDS = "('r', 'v', 'm', 'f', 'p')";

async function assertTablesExist(client: pg.Client, schema: string, target: LegacyReadTarget): Promise<void> {
  // pg_catalog, not information_schema: the latter hides tables the user has no privilege on, which would read
  // as "no such table" when the fix is a GRANT.
  const found = await client.query<{ table_name: string; readable: boolean; usable: boolean }>(
    `SELECT c.relname AS table_name, has_table_privilege(c.oid, 'SELECT') AS readable,
            has_schema_privilege(n.oid, 'USAGE') AS usable
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ${READABLE_KINDS}`,
    [schema, [...LEGACY_TABLES]],
  );
  const present = new Set(found.rows.map((r) => r.table_name));
  const missing = LEGACY_TABLES.filter((t) => !present.has(t));
  const unreadableTables = found.rows.filter((r) => !r.readable).map((r) => r.table_name);
  const unreadable = unreadableTables.map((t) => `${schema}.${t}`);
  const schemaUsable = found.rows.every((r) => r.usable);
  if (missing.length === 0 && (unreadable.length > 0 || !schemaUsable)) {
    // Quoted in the SQL to run: a schema created quoted ("RDSCNFG") is another schema when unquoted.
    const grants = [
      ...(schemaUsable ? [] : [`GRANT USAGE ON SCHEMA ${quoteAnyIdent(schema)}`]),
      ...(unreadableTables.length > 0
        ? [`GRANT SELECT ON ${unreadableTables.map((t) => `${quoteAnyIdent(schema)}.${quoteAnyIdent(t)}`).join(', ')}`]
        : []),
    ];
    throw new ConfigInvalid(
      `the user of ${target.label} may not read ${schemaUsable ? unreadable.join(', ') : `schema ${schema}`}: ${grants.map((g) => `${g} TO that user`).join('; ')} (import-legacy only reads), or connect as one who may`,
    );
  }
  if (missing.length === 0) return assertColumnsExist(client, schema);
  if (present.size > 0) {
    // The schema is the right one (it has some of the tables): --schema would not help, the missing DDL would.
    const scripts = missing.map((t) => `RDS SQLs/DDLs/rdscnfg.${t}.sql`).join(', ');
    throw new ConfigInvalid(
      `schema ${schema} has ${LEGACY_TABLES.filter((t) => present.has(t)).join(', ')} but no table ${missing.join(', no table ')}: ${
        target.createHint
          ? target.createHint(scripts)
          : `create it with the original's DDL (${scripts}) and import again`
      }`,
    );
  }
  const elsewhere = await client.query<{ table_schema: string }>(
    `SELECT DISTINCT n.nspname AS table_schema
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = 'ext_file_config' AND c.relkind IN ${READABLE_KINDS} ORDER BY 1`,
  );
  const candidates = elsewhere.rows.map((r) => r.table_schema).filter((s) => s !== schema);
  const where = candidates.length
    ? `ext_file_config exists in schema ${candidates.join(', ')}`
    : 'no schema of this database has an ext_file_config table';
  throw new ConfigInvalid(
    `schema ${schema} has no table ${missing.join(', no table ')}: pass --schema with the schema that holds the legacy config tables (${where})`,
  );
}

/** A table of the right name but another shape (an older or hand-made variant) is named with what it lacks. */
async function assertColumnsExist(client: pg.Client, schema: string): Promise<void> {
  const found = await client.query<{ table_name: string; column_name: string }>(
    `SELECT c.relname AS table_name, a.attname AS column_name
       FROM pg_catalog.pg_attribute a
       JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema, [...LEGACY_TABLES]],
  );
  const problems: string[] = [];
  for (const table of LEGACY_TABLES) {
    const have = new Set(found.rows.filter((r) => r.table_name === table).map((r) => r.column_name));
    const lacking = Object.entries(LEGACY_COLUMNS[table]).filter(([c]) => !have.has(c));
    if (lacking.length === 0) continue;
    const qualified = `${schema}.${table}`;
    problems.push(
      `${qualified} lacks column${lacking.length === 1 ? '' : 's'} ${lacking.map(([c]) => c).join(', ')}, which the original's DDL (RDS SQLs/DDLs/rdscnfg.${table}.sql) has: add ${lacking.length === 1 ? 'it' : 'them'} (ALTER TABLE ${quoteAnyIdent(schema)}.${quoteAnyIdent(table)} ${lacking.map(([c, type]) => `ADD COLUMN ${c} ${type}`).join(', ')}) and import again`,
    );
  }
  if (problems.length > 0)
    throw new ConfigInvalid(`the legacy config tables lack columns import-legacy reads: ${problems.join('; ')}`);
}
