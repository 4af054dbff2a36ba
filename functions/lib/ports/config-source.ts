import type { FileConfig } from '../config/model.ts';

/** A config as stored: `version` grows by one each time `efi config apply` changes it. */
export interface VersionedConfig {
  config: FileConfig;
  version: number;
}

/**
 * Config source port: the file configs FetchConfig matches keys against, and
 * the exact version a run was matched to (a run keeps that version even when
 * the config is applied again while it runs or before it is redriven).
 */
export interface ConfigSource {
  /** Active configs of active interfaces, each with its current version. */
  listActive(): Promise<VersionedConfig[]>;
  /** One config at one version, active or not. Throws NoConfigMatch when that version was never stored. */
  get(id: string, version: number): Promise<FileConfig>;
}
