import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';

/**
 * One PGlite instance per data directory per process. The config/audit DB and
 * the local warehouse share it by default: PGlite is single-session, so two
 * instances on one data dir would corrupt it.
 */
const instances = new Map<string, Promise<PGlite>>();

export function openPglite(dataDir: string): Promise<PGlite> {
  let p = instances.get(dataDir);
  if (!p) {
    // PGlite does not create missing parent directories.
    fs.mkdirSync(dataDir, { recursive: true });
    p = PGlite.create({ dataDir });
    instances.set(dataDir, p);
  }
  return p;
}

export async function closePglite(dataDir?: string): Promise<void> {
  const dirs = dataDir ? [dataDir] : [...instances.keys()];
  for (const d of dirs) {
    const p = instances.get(d);
    instances.delete(d);
    if (p) await (await p).close();
  }
}
