import type { TestProject } from 'vitest/node';
import { findPgBinDir, startThrowawayPostgres } from './throwaway-postgres.ts';

/**
 * Starts a throwaway PostgreSQL cluster for the whole test run and hands its
 * URL to tests via `inject('pgUrl')`. EFI_TEST_PG_URL uses an existing server
 * instead; EFI_SKIP_POSTGRES=1 skips the leg.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
  }
}

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  if (process.env['EFI_TEST_PG_URL']) {
    project.provide('pgUrl', process.env['EFI_TEST_PG_URL']);
    return undefined;
  }
  if (process.env['EFI_SKIP_POSTGRES'] === '1') {
    project.provide('pgUrl', null);
    return undefined;
  }
  const bin = findPgBinDir();
  if (!bin) {
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql. Run scripts/ensure-postgres.sh (npm test does), set EFI_TEST_PG_URL, or EFI_SKIP_POSTGRES=1.',
    );
  }
  const pg = await startThrowawayPostgres(bin);
  project.provide('pgUrl', pg.url);
  return () => pg.stop();
}
