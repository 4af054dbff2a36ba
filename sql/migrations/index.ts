import type { Migration } from 'kysely';
import * as m0001 from './0001_init.ts';
import * as m0002 from './0002_records_skipped.ts';
import * as m0003 from './0003_config_versions.ts';
import * as m0004 from './0004_legacy_file_audit.ts';
import * as m0005 from './0005_run_truth.ts';
import * as m0006 from './0006_content_claims.ts';
import * as m0007 from './0007_content_hash.ts';

/**
 * Every migration, in order, imported statically so esbuild bundles them into
 * each Lambda (a folder scan would find nothing in a bundle). Add new
 * migrations here; names sort in execution order.
 */
export const migrations: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_records_skipped': m0002,
  '0003_config_versions': m0003,
  '0004_legacy_file_audit': m0004,
  '0005_run_truth': m0005,
  '0006_content_claims': m0006,
  '0007_content_hash': m0007,
};
