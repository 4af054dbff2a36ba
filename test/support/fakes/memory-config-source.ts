import type { FileConfig } from '../../../functions/lib/config/model.ts';
import { NoConfigMatch } from '../../../functions/lib/errors.ts';
import type { ConfigSource, VersionedConfig } from '../../../functions/lib/ports/config-source.ts';

/** An in-memory ConfigSource: `apply` stores a new version of a config, as `efi config apply` does on a change. */
export class MemoryConfigSource implements ConfigSource {
  private readonly versions = new Map<string, FileConfig[]>();

  constructor(configs: readonly FileConfig[] = []) {
    for (const c of configs) this.apply(c);
  }

  /** Stores `config` as the next version of its id; returns that version. */
  apply(config: FileConfig): number {
    const list = this.versions.get(config.id) ?? [];
    list.push(structuredClone(config));
    this.versions.set(config.id, list);
    return list.length;
  }

  async listActive(): Promise<VersionedConfig[]> {
    return [...this.versions.values()]
      .map((list) => ({ config: list.at(-1)!, version: list.length }))
      .filter((v) => v.config.active);
  }

  async get(id: string, version: number): Promise<FileConfig> {
    const c = this.versions.get(id)?.[version - 1];
    if (!c) throw new NoConfigMatch(`config ${id} has no version ${version}`);
    return c;
  }
}
