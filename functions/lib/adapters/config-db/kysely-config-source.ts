import type { Kysely } from 'kysely';
import type { FileConfig } from '../../config/model.ts';
import { NoConfigMatch } from '../../errors.ts';
import type { ConfigSource, VersionedConfig } from '../../ports/config-source.ts';
import { listConfigs } from './config-repository.ts';
import type { EfiDatabase } from './schema.ts';

/** The config source in the config/audit database: `efi.file_configs` for matching, `efi.config_versions` for a run's version. */
export class KyselyConfigSource implements ConfigSource {
  constructor(private readonly db: Kysely<EfiDatabase>) {}

  async listActive(): Promise<VersionedConfig[]> {
    return (await listConfigs(this.db, { activeOnly: true })).map((s) => ({ config: s.config, version: s.version }));
  }

  /**
   * A missing config is NoConfigMatch: like an unmatched key, it is fixed by
   * applying the config, after which the execution can be redriven.
   */
  async get(id: string, version: number): Promise<FileConfig> {
    const row = await this.db
      .selectFrom('efi.config_versions')
      .select('spec')
      .where('config_id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (row) return (typeof row.spec === 'string' ? JSON.parse(row.spec) : row.spec) as FileConfig;
    const current = await this.db
      .selectFrom('efi.file_configs')
      .select('version')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!current) {
      throw new NoConfigMatch(
        `config ${JSON.stringify(id)} does not exist in the config database: apply it with \`efi config apply\`, then redrive`,
      );
    }
    throw new NoConfigMatch(
      `config ${JSON.stringify(id)} has no version ${version} in the config database (current: ${current.version}); the run was matched to a version that is not stored`,
    );
  }
}
