import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { FileConfig } from '../../config/model.ts';
import { ConfigInvalid } from '../../errors.ts';
import { assertIdentifier } from '../../sql/identifiers.ts';
import type { EfiDatabase } from './schema.ts';

/**
 * Config-as-code storage: interfaces, file configs (the normalised FileConfig
 * as jsonb plus a checksum) and their column rows (the legacy framework's
 * column detail table, kept queryable). Applying the same YAML twice changes
 * nothing; a changed config gets version + 1, and every version stays in
 * `efi.config_versions` for the runs matched to it.
 */

export interface InterfaceInput {
  name: string;
  description: string | null;
  active: boolean;
}

export interface ApplyResult {
  created: string[];
  updated: string[];
  unchanged: string[];
}

export interface StoredConfig {
  config: FileConfig;
  version: number;
  checksum: string;
  source: string | null;
  interfaceActive: boolean;
  updatedAt: Date;
}

/** JSON with object keys sorted at every level, so equal configs hash equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export function configChecksum(config: FileConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

// The core trusts stored configs; configs built elsewhere (legacy import) get the identifier check here too.
function assertStorable(c: FileConfig): void {
  for (const r of c.records) {
    assertIdentifier(r.target.schema, `config ${c.id}: target schema`);
    assertIdentifier(r.target.table, `config ${c.id}: target table`);
    for (const col of r.columns) assertIdentifier(col.name, `config ${c.id}: column`);
  }
}

/**
 * Upserts interfaces and configs in one transaction. `interfaces` carries the
 * YAML's interface descriptions; an interface only named by a config is
 * created with no description and left as it is when it exists.
 */
export async function applyConfigs(
  db: Kysely<EfiDatabase>,
  configs: readonly FileConfig[],
  opts: { source: string | null | ((config: FileConfig) => string | null); interfaces?: readonly InterfaceInput[] },
): Promise<ApplyResult> {
  const seen = new Set<string>();
  for (const c of configs) {
    if (seen.has(c.id))
      throw new ConfigInvalid(`config id ${c.id} appears more than once in one apply: config ids are unique`);
    seen.add(c.id);
    assertStorable(c);
  }
  const described = new Map((opts.interfaces ?? []).map((i) => [i.name, i]));
  const result: ApplyResult = { created: [], updated: [], unchanged: [] };

  await db.transaction().execute(async (trx) => {
    for (const i of described.values()) {
      await trx
        .insertInto('efi.interfaces')
        .values({ name: i.name, description: i.description, active: i.active })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet({ description: i.description, active: i.active, updated_at: sql`now()` })
            .where((eb) =>
              eb.or([
                eb(sql`efi.interfaces.description`, 'is distinct from', i.description),
                eb('efi.interfaces.active', '<>', i.active),
              ]),
            ),
        )
        .execute();
    }
    for (const name of new Set(configs.map((c) => c.interface))) {
      if (described.has(name)) continue;
      await trx
        .insertInto('efi.interfaces')
        .values({ name, description: null, active: true })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    }

    for (const c of configs) {
      const checksum = configChecksum(c);
      const existing = await trx
        .selectFrom('efi.file_configs')
        .select(['checksum', 'version'])
        .where('id', '=', c.id)
        .forUpdate()
        .executeTakeFirst();
      const row = {
        interface_name: c.interface,
        active: c.active,
        match_kind: c.match.kind,
        match_pattern: c.match.pattern,
        spec: JSON.stringify(c),
        checksum,
        source: typeof opts.source === 'function' ? opts.source(c) : opts.source,
      };
      if (!existing) {
        await trx
          .insertInto('efi.file_configs')
          .values({ id: c.id, ...row })
          .execute();
        result.created.push(c.id);
      } else if (existing.checksum === checksum) {
        result.unchanged.push(c.id);
        continue;
      } else {
        await trx
          .updateTable('efi.file_configs')
          .set({ ...row, version: sql`version + 1`, updated_at: sql`now()` })
          .where('id', '=', c.id)
          .execute();
        result.updated.push(c.id);
      }
      // Versions are kept: a run reads the version it was matched to (KyselyConfigSource.get).
      await trx
        .insertInto('efi.config_versions')
        .values({
          config_id: c.id,
          version: existing ? Number(existing.version) + 1 : 1,
          spec: row.spec,
          checksum,
          source: row.source,
        })
        .execute();
      await trx.deleteFrom('efi.file_config_columns').where('config_id', '=', c.id).execute();
      const columnRows = c.records.flatMap((r) =>
        r.columns.map((col, i) => ({
          config_id: c.id,
          record_type: r.recordType ?? '',
          ordinal: i + 1,
          column_name: col.name,
          width: col.width ?? null,
          target_schema: r.target.schema,
          target_table: r.target.table,
        })),
      );
      if (columnRows.length > 0) await trx.insertInto('efi.file_config_columns').values(columnRows).execute();
    }
  });
  return result;
}

function selectConfigs(db: Kysely<EfiDatabase>) {
  return db
    .selectFrom('efi.file_configs as fc')
    .innerJoin('efi.interfaces as i', 'i.name', 'fc.interface_name')
    .select([
      'fc.id',
      'fc.active',
      'fc.spec',
      'fc.version',
      'fc.checksum',
      'fc.source',
      'fc.updated_at',
      'i.active as interface_active',
    ])
    .orderBy('fc.id');
}

type ConfigRow = Awaited<ReturnType<ReturnType<typeof selectConfigs>['execute']>>[number];

function toStored(r: ConfigRow): StoredConfig {
  // The column is authoritative for `active` (it is what matching filters on).
  const spec = (typeof r.spec === 'string' ? JSON.parse(r.spec) : r.spec) as FileConfig;
  return {
    config: { ...spec, active: r.active },
    version: Number(r.version),
    checksum: r.checksum,
    source: r.source,
    interfaceActive: r.interface_active,
    // schema.ts wraps Timestamp in Generated<>, which kysely types as the ColumnType itself on select.
    updatedAt: new Date(r.updated_at as unknown as Date | string),
  };
}

/** Every stored config with its version; `activeOnly` keeps active configs of active interfaces. */
export async function listConfigs(
  db: Kysely<EfiDatabase>,
  opts: { activeOnly?: boolean } = {},
): Promise<StoredConfig[]> {
  let q = selectConfigs(db);
  if (opts.activeOnly) q = q.where('fc.active', '=', true).where('i.active', '=', true);
  return (await q.execute()).map(toStored);
}
