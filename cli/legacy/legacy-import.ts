import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigFileInvalid, parseConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import { redactUrl } from '../redact-url.ts';
import { type LegacyConfigReport, mapLegacyTables } from './legacy-map.ts';
import { type LegacyTables, legacySchemaName, readLegacyTables } from './legacy-rows.ts';
import { collectSqlScripts, describeSqlSource, readLegacyTablesFromScripts } from './legacy-scripts.ts';
import { type RenderContext, renderInterfaceYaml } from './legacy-yaml.ts';

/**
 * `efi config import-legacy`: the original framework's config tables → one
 * efi YAML file per interface, plus a report of every legacy config row
 * (mapped, needs review, skipped, deleted). Every generated file is checked
 * with the same parser `efi config apply` uses before anything is written.
 */

/** Where the legacy rows come from: a database (`--from`) or the SQL scripts that build one (`--sql`). */
export type LegacySource =
  | {
      /** PostgreSQL URL of the legacy config database. */
      url: string;
      sql?: never;
    }
  | {
      /** SQL script files or folders of them, run in a throwaway embedded PostgreSQL (see legacy-scripts.ts). */
      sql: readonly string[];
      url?: never;
    };

export type LegacyImportOptions = LegacySource & {
  /** Schema holding ext_interface, ext_file_config and ext_file_config_dtl (default rdscnfg). */
  schema?: string;
  outDir: string;
  /** Timestamp written into the file headers (tests pin it). */
  now?: Date;
};

export interface GeneratedFile {
  /** File name inside the output folder: `<interface>.yaml`. */
  name: string;
  interface: string;
  configs: string[];
  text: string;
}

export interface LegacyImportSummary {
  mapped: number;
  review: number;
  skipped: number;
  deleted: number;
}

export interface LegacyImportReport {
  source: string;
  schema: string;
  generatedAt: string;
  outDir: string;
  files: { path: string; interface: string; configs: string[] }[];
  configs: LegacyConfigReport[];
  summary: LegacyImportSummary;
  /** True when every live legacy config mapped without a person's review (deleted rows do not count). */
  complete: boolean;
}

export const DEFAULT_LEGACY_SCHEMA = 'rdscnfg';

/**
 * Rows → YAML texts and the per-row report; pure. Throws (a bug, not a data
 * problem) when a generated file would not pass `efi config validate`.
 */
export function generateLegacyConfigs(
  tables: LegacyTables,
  ctx: RenderContext,
): { files: GeneratedFile[]; configs: LegacyConfigReport[] } {
  const mapping = mapLegacyTables(tables);
  const files = mapping.interfaces.map((mi): GeneratedFile => {
    const name = `${mi.name}.yaml`;
    const text = renderInterfaceYaml(mi, ctx);
    const expected = mi.entries.map((e) => e.entry.id);
    let parsed: string[];
    try {
      parsed = parseConfigYaml(text, name).map((c) => c.id);
    } catch (e) {
      const detail = e instanceof ConfigFileInvalid ? e.message : String(e);
      throw new Error(
        `import-legacy generated ${name} (legacy ext_interface_cid ${mi.cid}) but it does not validate; this is a bug in efi config import-legacy, please report it with the legacy rows:\n${detail}`,
      );
    }
    if (parsed.join('\n') !== expected.join('\n')) {
      throw new Error(
        `import-legacy generated ${name} with configs ${parsed.join(', ')} but mapped ${expected.join(', ')}; this is a bug in efi config import-legacy`,
      );
    }
    return { name, interface: mi.name, configs: expected, text };
  });
  return { files, configs: mapping.report };
}

export function summarise(configs: readonly LegacyConfigReport[]): LegacyImportSummary {
  const s: LegacyImportSummary = { mapped: 0, review: 0, skipped: 0, deleted: 0 };
  for (const c of configs) s[c.status]++;
  return s;
}

export async function importLegacyConfigs(opts: LegacyImportOptions): Promise<LegacyImportReport> {
  const asGiven = opts.schema ?? DEFAULT_LEGACY_SCHEMA;
  const folded = legacySchemaName(asGiven);
  let tables: LegacyTables;
  let source: string;
  if (opts.url !== undefined) {
    tables = await readLegacyTables(opts.url, asGiven);
    source = redactUrl(opts.url);
  } else {
    const files = await collectSqlScripts(opts.sql);
    tables = await readLegacyTablesFromScripts(files, folded, asGiven);
    source = describeSqlSource(opts.sql);
  }
  const schema = tables.schema ?? folded;
  const generatedAt = opts.now ?? new Date();
  const { files, configs } = generateLegacyConfigs(tables, { source, schema, generatedAt });

  await fs.mkdir(opts.outDir, { recursive: true });
  const written: LegacyImportReport['files'] = [];
  for (const f of files) {
    const target = path.join(opts.outDir, f.name);
    // Write-then-rename so an interrupted run never leaves half a config behind.
    const tmp = `${target}.${process.pid}.tmp`;
    await fs.writeFile(tmp, f.text, 'utf8');
    await fs.rename(tmp, target);
    written.push({ path: target, interface: f.interface, configs: f.configs });
  }
  const summary = summarise(configs);
  return {
    source,
    schema,
    generatedAt: generatedAt.toISOString(),
    outDir: opts.outDir,
    files: written,
    configs,
    summary,
    complete: summary.review === 0 && summary.skipped === 0,
  };
}
