import { parseArgs } from 'node:util';
import {
  applyConfigs,
  configChecksum,
  listConfigs,
  type StoredConfig,
} from '../../functions/lib/adapters/config-db/config-repository.ts';
import { openConfigDb } from '../../functions/lib/adapters/config-db/connect.ts';
import { migrateToLatest } from '../../functions/lib/adapters/config-db/migrate.ts';
import { type ConfigDiff, diffConfigs, formatChange } from '../../functions/lib/config/diff.ts';
import { fromCopy } from '../../functions/lib/config/from-copy.ts';
import {
  type ConfigIssue,
  formatIssue,
  type ParsedConfigFile,
  readConfigFiles,
} from '../../functions/lib/config/load-yaml.ts';
import type { FileConfig } from '../../functions/lib/config/model.ts';
import { ConfigInvalid, EfiError } from '../../functions/lib/errors.ts';
import type { Settings } from '../../functions/lib/settings.ts';
import { DEFAULT_LEGACY_SCHEMA, importLegacyConfigs, type LegacyImportReport } from '../legacy/legacy-import.ts';
import { SCHEMA_AS_GIVEN } from '../legacy/legacy-rows.ts';
import { LegacySqlInputInvalid } from '../legacy/legacy-scripts.ts';

/**
 * `efi config validate|apply|list|import-legacy`: config-as-code. validate
 * needs no database; apply validates every file first and applies nothing
 * unless all are valid; list shows what the config database holds;
 * import-legacy turns the original framework's config tables into YAML.
 */

export interface ConfigCommandContext {
  settings: Settings;
  json: boolean;
  out: (s: string) => void;
  err: (s: string) => void;
}

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

export const CONFIG_HELP = `Usage: efi config <validate|diff|apply|list|import-legacy|from-copy> [options]

Config-as-code: one YAML file per interface (feed) describes its file configs
(how files are matched, checked and loaded). The format is documented by the
JSON Schema sql/efi-config.schema.json (point your editor at it).

  validate PATH...   check YAML files or folders of them; no database needed
  diff PATH...       what apply would change, field by field (nothing is written)
  apply PATH...      validate, then create or update the configs in the config database
  list               the configs in the config database
  import-legacy      write YAML configs from the original framework's config tables
  from-copy "COPY ..."  turn a Redshift COPY statement into a validated config YAML

Options: --json (machine-readable output), --help; each subcommand has its own
(efi config import-legacy --help).
Exit status: 0 ok, 1 invalid config or failure, 2 usage error.`;

const HELP: Record<string, string> = {
  'from-copy': `Usage: efi config from-copy "COPY ..." [--id ID] [--json]

Prints an efi config YAML for an existing Redshift COPY statement (with
defaults: redshift, so every option left out means what it meant in the COPY),
then, on stderr, each clause it did not carry over and why, and any problem
efi config validate finds. One statement per call; credential and key values
are never copied into the YAML ('***'). With MANIFEST the glob is the
manifest's folder: write match from the keys it lists. Exit 1 when the YAML
does not validate yet (or none could be written: JSON, Parquet, a non-S3 source).`,
  validate: `Usage: efi config validate PATH... [--json]

Checks each YAML file (folders: every *.yaml / *.yml under them) and prints
each file with its config ids, or every problem as FILE:LINE:COL: PATH: MESSAGE,
all in one run, by path as the file is written. Config ids must be unique across
all the files given. Exit 1 on any problem.`,
  diff: `Usage: efi config diff PATH... [--json]

Validates every file (as validate does) and prints what efi config apply would
change in the config database, writing nothing:
  + ID   a config to create
  ~ ID   a config to update (version N → N+1), then one line per field: PATH: OLD → NEW
  = ID   unchanged
  ? ID   stored for one of these interfaces but not in the files (apply leaves it)
--json: {"ok","created":[{id,interface}],"updated":[{id,version,changes:[{path,before,after}]}],
         "unchanged":[ids],"notInFiles":[ids],"interfaces":[{name,created,changes}]}
Exit status: 0 (whether or not anything would change), 1 invalid config.`,
  apply: `Usage: efi config apply PATH... [--json]

Validates every file (as validate does) and, only when all are valid, applies
them in one transaction to the config database (migrating it first): new
configs are created, changed ones get version + 1, identical ones are left
unchanged. Configs not in the files are left as they are. Prints what changed,
field by field, as efi config diff does.`,
  list: `Usage: efi config list [--active] [--json]

Lists the configs in the config database: id, interface, match, target
table(s), whether active, and version. --active shows only the configs that
can match files (active configs of active interfaces).`,
  'import-legacy': `Usage: efi config import-legacy (--from POSTGRES_URL | --sql PATH...) [--schema ${DEFAULT_LEGACY_SCHEMA}] [--out DIR] [--json]

Reads the original framework's config tables (ext_interface, ext_file_config,
ext_file_config_dtl in --schema, default ${DEFAULT_LEGACY_SCHEMA}) and writes one efi YAML file
per interface to --out (default ./legacy-configs), each checked with the same
validation as efi config validate. The tables come from one of:
  --from URL     the legacy config database (RDS PostgreSQL); only SELECTs are run
  --sql PATH     the SQL scripts that build it, when there is no database: its
                 DDL and DML files (RDS SQLs/) or a plain pg_dump; a .sql file or a
                 folder of them (subfolders too), repeatable, in any order. They
                 run in a throwaway embedded PostgreSQL that is removed afterwards;
                 the schema is created when the scripts use it and do not create it.
Prints one line per legacy config row:
  mapped    an equivalent config was written
  review    written, but a REVIEW comment in the file needs a person
  skipped   not written (the reason says why and what to do)
  deleted   oprtnl_flag D: not imported
Review the files, then: efi config apply DIR.
Exit status: 0 everything mapped, 1 anything skipped or to review (the
rest is still written), no ext_file_config rows at all, or the tables
could not be read (a script that fails is named with its line), 2 usage error (also: a --sql path that is
missing, a folder without .sql files, a script over 50 MB). See docs/legacy-import.md.`,
};

class Usage extends Error {}

export async function configCommand(argv: string[], ctx: ConfigCommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === undefined)
      throw new Usage('missing subcommand: validate, diff, apply, list, import-legacy or from-copy');
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      ctx.out(CONFIG_HELP);
      return EXIT_OK;
    }
    const help = HELP[sub];
    if (!help) {
      throw new Usage(
        `unknown subcommand ${JSON.stringify(sub)}: expected validate, diff, apply, list, import-legacy or from-copy`,
      );
    }
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        ...(sub === 'list' ? { active: { type: 'boolean' as const, default: false } } : {}),
        ...(sub === 'from-copy' ? { id: { type: 'string' as const, default: 'from-copy' } } : {}),
        ...(sub === 'import-legacy'
          ? {
              from: { type: 'string' as const },
              sql: { type: 'string' as const, multiple: true as const },
              schema: { type: 'string' as const, default: DEFAULT_LEGACY_SCHEMA },
              out: { type: 'string' as const, default: 'legacy-configs' },
            }
          : {}),
      },
    });
    if (values.help) {
      ctx.out(help);
      return EXIT_OK;
    }
    const json = ctx.json || values.json === true;
    if (sub === 'list') {
      if (positionals.length > 0) throw new Usage(`list takes no arguments, got ${positionals.join(' ')}`);
      return await listCommand(ctx, json, (values as { active?: boolean }).active === true);
    }
    if (sub === 'from-copy') {
      if (positionals.length === 0) throw new Usage('from-copy needs the COPY statement as one argument');
      return fromCopyCommand(ctx, json, positionals.join(' '), (values as { id?: string }).id ?? 'from-copy');
    }
    if (sub === 'import-legacy') {
      if (positionals.length > 0) throw new Usage(`import-legacy takes no arguments, got ${positionals.join(' ')}`);
      return await importLegacyCommand(
        ctx,
        json,
        values as { from?: string; sql?: string[]; schema?: string; out?: string },
      );
    }
    if (positionals.length === 0) throw new Usage(`${sub} needs at least one PATH (a YAML file or a folder)`);
    if (sub === 'validate') return await validateCommand(ctx, json, positionals);
    if (sub === 'diff') return await diffCommand(ctx, json, positionals);
    return await applyCommand(ctx, json, positionals);
  } catch (e) {
    if (e instanceof Usage || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      ctx.err(
        `efi config: ${(e as Error).message}\nRun efi config${sub && HELP[sub] ? ` ${sub}` : ''} --help for usage.`,
      );
      return EXIT_USAGE;
    }
    if (e instanceof EfiError) {
      ctx.err(`efi config ${sub}: ${e.name}: ${e.message}`);
      return EXIT_FAILED;
    }
    // from-copy is pure (no file, database or network): any other error of it is a bug, which runCommand
    // reports as one, with its stack.
    if (sub === 'from-copy') throw e;
    ctx.err(`efi config ${sub}: ${(e as Error).message}`);
    return EXIT_FAILED;
  }
}

function fileReport(f: ParsedConfigFile) {
  return { file: f.file, ok: f.issues.length === 0, configs: f.configs.map((c) => c.id), issues: f.issues };
}

/** Prints each file's outcome; returns the problems. */
function report(ctx: ConfigCommandContext, json: boolean, files: ParsedConfigFile[]): ConfigIssue[] {
  const issues = files.flatMap((f) => f.issues);
  if (json) return issues;
  for (const f of files) {
    if (f.issues.length === 0) ctx.out(`ok      ${f.file}: ${f.configs.map((c) => c.id).join(', ')}`);
    else {
      ctx.err(`invalid ${f.file}`);
      for (const i of f.issues) ctx.err(`  ${formatIssue(i)}`);
    }
  }
  const bad = files.filter((f) => f.issues.length > 0).length;
  const configs = files.reduce((n, f) => n + f.configs.length, 0);
  const summary = `${files.length} file${files.length === 1 ? '' : 's'}, ${configs} config${configs === 1 ? '' : 's'}`;
  if (bad === 0) ctx.out(`${summary}: valid`);
  else
    ctx.err(
      `${summary}: ${issues.length} problem${issues.length === 1 ? '' : 's'} in ${bad} file${bad === 1 ? '' : 's'}`,
    );
  return issues;
}

function fromCopyCommand(ctx: ConfigCommandContext, json: boolean, sql: string, id: string): number {
  let r: ReturnType<typeof fromCopy>;
  try {
    r = fromCopy(sql, id);
  } catch (e) {
    // ConfigInvalid is fromCopy's "this COPY statement cannot be read"; anything else is a bug in efi, not the user's.
    if (e instanceof ConfigInvalid) throw new Usage(`from-copy: ${e.message}`);
    throw e;
  }
  if (json) ctx.out(JSON.stringify(r, null, 2));
  else {
    if (r.yaml) ctx.out(r.yaml.trimEnd());
    for (const n of r.notMapped) ctx.err(`not mapped: ${n}`);
    for (const i of r.issues) ctx.err(`to fix: ${i}`);
  }
  return r.issues.length === 0 ? EXIT_OK : EXIT_FAILED;
}

async function validateCommand(ctx: ConfigCommandContext, json: boolean, paths: string[]): Promise<number> {
  const files = await readConfigFiles(paths);
  const issues = report(ctx, json, files);
  if (json) ctx.out(JSON.stringify({ ok: issues.length === 0, files: files.map(fileReport) }, null, 2));
  return issues.length === 0 ? EXIT_OK : EXIT_FAILED;
}

async function applyCommand(ctx: ConfigCommandContext, json: boolean, paths: string[]): Promise<number> {
  const files = await readConfigFiles(paths);
  const issues = report(ctx, json, files);
  if (issues.length > 0) {
    if (json) ctx.out(JSON.stringify({ ok: false, applied: false, files: files.map(fileReport) }, null, 2));
    else ctx.err('nothing applied: fix the problems above and run efi config apply again');
    return EXIT_FAILED;
  }
  const sourceOf = new Map<FileConfig, string>();
  for (const f of files) for (const c of f.configs) sourceOf.set(c, f.file);
  const interfaces = new Map(files.flatMap((f) => (f.interface ? [[f.interface.name, f.interface] as const] : [])));

  const db = await openConfigDb(ctx.settings.configDb);
  await migrateToLatest(db);
  const diff = await diffAgainstDb(db, [...sourceOf.keys()], [...interfaces.values()]);
  const result = await applyConfigs(db, [...sourceOf.keys()], {
    source: (c) => sourceOf.get(c) ?? null,
    interfaces: [...interfaces.values()],
  });
  if (json) {
    ctx.out(JSON.stringify({ ok: true, applied: true, ...result, diff }, null, 2));
  } else {
    printDiff(ctx, diff);
    const n = (k: number, what: string) => `${k} ${what}`;
    ctx.out(
      `applied: ${n(result.created.length, 'created')}, ${n(result.updated.length, 'updated')}, ${n(result.unchanged.length, 'unchanged')}`,
    );
  }
  return EXIT_OK;
}

async function diffCommand(ctx: ConfigCommandContext, json: boolean, paths: string[]): Promise<number> {
  const files = await readConfigFiles(paths);
  const issues = report(ctx, json, files);
  if (issues.length > 0) {
    if (json) ctx.out(JSON.stringify({ ok: false, files: files.map(fileReport) }, null, 2));
    else ctx.err('no diff: fix the problems above first');
    return EXIT_FAILED;
  }
  const interfaces = new Map(files.flatMap((f) => (f.interface ? [[f.interface.name, f.interface] as const] : [])));
  const db = await openConfigDb(ctx.settings.configDb);
  await migrateToLatest(db);
  const diff = await diffAgainstDb(
    db,
    files.flatMap((f) => f.configs),
    [...interfaces.values()],
  );
  if (json) ctx.out(JSON.stringify({ ok: true, ...diff }, null, 2));
  else {
    printDiff(ctx, diff);
    const todo = diff.created.length + diff.updated.length + diff.interfaces.length;
    ctx.out(
      todo === 0
        ? `nothing to apply: ${diff.unchanged.length} unchanged`
        : `apply would create ${diff.created.length}, update ${diff.updated.length}, leave ${diff.unchanged.length} unchanged`,
    );
  }
  return EXIT_OK;
}

async function diffAgainstDb(
  db: Awaited<ReturnType<typeof openConfigDb>>,
  configs: FileConfig[],
  interfaces: { name: string; description: string | null; active: boolean }[],
): Promise<ConfigDiff> {
  const stored = await listConfigs(db);
  const storedInterfaces = await db.selectFrom('efi.interfaces').select(['name', 'description', 'active']).execute();
  return diffConfigs(configs, stored, { checksum: configChecksum, interfaces, storedInterfaces });
}

function printDiff(ctx: ConfigCommandContext, d: ConfigDiff): void {
  const width = Math.max(
    0,
    ...[...d.created.map((c) => c.id), ...d.updated.map((c) => c.id), ...d.unchanged, ...d.notInFiles].map(
      (id) => id.length,
    ),
  );
  for (const i of d.interfaces) {
    if (i.created) ctx.out(`+ interface ${i.name}`);
    else for (const c of i.changes) ctx.out(`~ interface ${i.name}: ${formatChange(c)}`);
  }
  for (const c of d.created) ctx.out(`+ ${c.id.padEnd(width)}  new config (interface ${c.interface})`);
  for (const c of d.updated) {
    ctx.out(`~ ${c.id.padEnd(width)}  version ${c.version} → ${c.version + 1}`);
    for (const f of c.changes) ctx.out(`    ${formatChange(f)}`);
  }
  for (const id of d.unchanged) ctx.out(`= ${id.padEnd(width)}  unchanged`);
  for (const id of d.notInFiles) ctx.out(`? ${id.padEnd(width)}  stored but not in these files: left as it is`);
}

function describeTargets(c: FileConfig): string {
  return c.records
    .map((r) => `${r.recordType === null ? '' : `${r.recordType}→`}${r.target.schema}.${r.target.table}`)
    .join(', ');
}

function activeLabel(s: StoredConfig): string {
  if (!s.config.active) return 'no';
  return s.interfaceActive ? 'yes' : 'no (interface inactive)';
}

async function listCommand(ctx: ConfigCommandContext, json: boolean, activeOnly: boolean): Promise<number> {
  const db = await openConfigDb(ctx.settings.configDb);
  await migrateToLatest(db);
  const stored = await listConfigs(db, { activeOnly });
  if (json) {
    ctx.out(
      JSON.stringify(
        stored.map((s) => ({
          id: s.config.id,
          interface: s.config.interface,
          match: s.config.match,
          targets: s.config.records.map((r) => ({ recordType: r.recordType, ...r.target })),
          active: s.config.active && s.interfaceActive,
          configActive: s.config.active,
          interfaceActive: s.interfaceActive,
          version: s.version,
          source: s.source,
          updatedAt: s.updatedAt.toISOString(),
        })),
        null,
        2,
      ),
    );
    return EXIT_OK;
  }
  if (stored.length === 0) {
    ctx.out('no configs: add some with efi config apply PATH');
    return EXIT_OK;
  }
  const header = ['ID', 'INTERFACE', 'MATCH', 'TARGET', 'ACTIVE', 'VERSION'];
  const rows = stored.map((s) => [
    s.config.id,
    s.config.interface,
    `${s.config.match.kind} ${s.config.match.pattern}`,
    describeTargets(s.config),
    activeLabel(s),
    String(s.version),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  ctx.out([line(header), ...rows.map(line)].join('\n'));
  return EXIT_OK;
}

async function importLegacyCommand(
  ctx: ConfigCommandContext,
  json: boolean,
  opts: { from?: string; sql?: string[]; schema?: string; out?: string },
): Promise<number> {
  const url = opts.from?.trim();
  const sql = opts.sql;
  if (opts.from !== undefined && sql !== undefined) {
    throw new Usage(
      '--from and --sql are exclusive: read the legacy tables from a database (--from POSTGRES_URL) or build them from its SQL scripts (--sql PATH), not both',
    );
  }
  if (sql === undefined && !url) {
    throw new Usage(
      'import-legacy needs --from POSTGRES_URL (the legacy config database) or --sql PATH (its SQL scripts: .sql files or folders of them)',
    );
  }
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new Usage('--from must be a PostgreSQL URL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE');
  }
  const schema = opts.schema ?? DEFAULT_LEGACY_SCHEMA;
  if (!SCHEMA_AS_GIVEN.test(schema)) {
    throw new Usage(`--schema ${JSON.stringify(schema)} is not a schema name: letters, digits, _ or $`);
  }
  const outDir = opts.out ?? 'legacy-configs';
  let report: LegacyImportReport;
  try {
    report = await importLegacyConfigs(
      url !== undefined ? { url, schema, outDir } : { sql: sql ?? [], schema, outDir },
    );
  } catch (e) {
    // A --sql path that cannot be used is a usage error, found before any script runs.
    if (e instanceof LegacySqlInputInvalid) throw new Usage(e.message);
    throw e;
  }
  if (json) ctx.out(JSON.stringify(report, null, 2));
  else printLegacyReport(ctx, report, sql !== undefined);
  // Nothing to import is not a finished migration: a script going on to `efi config apply` would apply nothing.
  return report.complete && report.configs.length > 0 ? EXIT_OK : EXIT_FAILED;
}

function printLegacyReport(ctx: ConfigCommandContext, r: LegacyImportReport, fromScripts: boolean): void {
  for (const f of r.files) {
    ctx.out(`wrote   ${f.path}: ${f.configs.join(', ')}`);
  }
  if (r.configs.length === 0) {
    // Most often the DML scripts (or the wrong database) were given: say which, since nothing is written.
    const what = fromScripts
      ? `the scripts insert no rows into ${r.schema}.ext_file_config: give --sql the INSERT scripts of your feeds too (the original keeps them in RDS SQLs/DMLs)`
      : `${r.schema}.ext_file_config has no rows: check that --from names the legacy config database and --schema its schema`;
    ctx.err(`nothing to import: ${what}`);
    return;
  }
  const rows = r.configs.map((c) => [
    String(c.sid),
    c.legacyInterface ?? `(cid ${c.interfaceCid ?? 'NULL'})`,
    c.status,
    c.configId === null ? '' : `${c.configId}${c.active === false ? ' (inactive)' : ''}`,
  ]);
  const header = ['SID', 'LEGACY INTERFACE', 'STATUS', 'CONFIG'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  ctx.out(line(header));
  r.configs.forEach((c, i) => {
    ctx.out(line(rows[i]!));
    for (const reason of c.reasons) ctx.out(`${' '.repeat(widths[0]! + 2)}- ${reason}`);
    // Deliberate: efi loads these files differently from the original, on purpose or for want of an option.
    for (const d of c.differences) ctx.out(`${' '.repeat(widths[0]! + 2)}~ differs from the original: ${d}`);
  });
  const s = r.summary;
  const summary = `${s.mapped} mapped, ${s.review} to review, ${s.skipped} skipped, ${s.deleted} deleted (${r.files.length} file${r.files.length === 1 ? '' : 's'} in ${r.outDir})`;
  if (r.complete) ctx.out(`${summary}: next, efi config apply ${r.outDir}`);
  else ctx.err(`${summary}: read the REVIEW comments and the reasons above before efi config apply ${r.outDir}`);
}
