import type { Migration } from 'kysely';
import * as m0001 from './0001_init.ts';
import * as m0002 from './0002_records_skipped.ts';
import * as m0003 from './0003_config_versions.ts';
import * as m0005 from './0005_run_truth.ts';

/**
 * Every migration, in order, imported statically so esbuild bundles them into
 * each Lambda (a folder scan would find nothing in a bundle). Add new
 * migrations here; names sort in execution order.
 */
export const migrations: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_records_skipped': m0002,
  '0003_config_versions': m0003,
  '0005_run_truth': m0005,
};
