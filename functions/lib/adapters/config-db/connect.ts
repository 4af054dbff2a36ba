import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { ConfigInvalid } from '../../errors.ts';
import type { Settings } from '../../settings.ts';
import type { EfiDatabase } from './schema.ts';

/**
 * The config/audit database as a Kysely instance, whichever backend settings
 * name: the process-wide PGlite (native API behind a pool of 1: PGlite is
 * single-session), a PostgreSQL URL over `pg`, or RDS with credentials from Secrets
 * Manager. One instance per configuration per process, so warm Lambdas and the
 * CLI reuse connections.
 */

export type ConfigDbSettings = Settings['configDb'];

const instances = new Map<string, Promise<Kysely<EfiDatabase>>>();

function cacheKey(cfg: ConfigDbSettings): string {
  switch (cfg.kind) {
    case 'pglite':
      return `pglite:${cfg.dataDir}`;
    case 'postgres':
      return `postgres:${cfg.url}`;
    case 'secret':
      return `secret:${cfg.secretArn}`;
  }
}

export function openConfigDb(cfg: ConfigDbSettings): Promise<Kysely<EfiDatabase>> {
  const key = cacheKey(cfg);
  let p = instances.get(key);
  if (!p) {
    p = createConfigDb(cfg);
    instances.set(key, p);
    // Do not cache a failed open: the next call tries again.
    p.catch(() => {
      if (instances.get(key) === p) instances.delete(key);
    });
  }
  return p;
}

async function createConfigDb(cfg: ConfigDbSettings): Promise<Kysely<EfiDatabase>> {
  return new Kysely<EfiDatabase>({ dialect: new PostgresDialect({ pool: await createPool(cfg) }) });
}

async function createPool(cfg: ConfigDbSettings): Promise<pg.Pool> {
  // EFI_BUNDLE is 'lambda' in the Lambda bundles (an esbuild define): the
  // branch and PGlite (a 10 MB WASM build, external there) drop out of them.
  if (process.env.EFI_BUNDLE !== 'lambda' && cfg.kind === 'pglite') {
    const { openPglite } = await import('../postgres/pglite.ts');
    const { pglitePool } = await import('./pglite-pool.ts');
    // Native PGlite calls, not `pg` over its wire adapter: see pglite-pool.ts.
    return pglitePool(await openPglite(cfg.dataDir)) as unknown as pg.Pool;
  }
  if (cfg.kind === 'pglite')
    throw new ConfigInvalid('EFI_CONFIG_DB=pglite is for local runs; a Lambda needs EFI_CONFIG_DB_SECRET_ARN');
  // Loaded here, not at the top: a local command on PGlite never needs the pg driver.
  const { createPgPool, retryAuthFailureOnce } = await import('../postgres/pg-pool.ts');
  if (cfg.kind === 'postgres') {
    return createPgPool({ connectionString: cfg.url, max: 4, idleTimeoutMillis: 30_000 });
  }
  const secretArn = cfg.secretArn;
  // Imported here: the Secrets Manager SDK takes over a second to load, and local commands never need it.
  const { getDbSecret, invalidateSecret } = await import('../aws/secrets.ts');
  const secret = await getDbSecret(secretArn);
  const pool = createPgPool({
    host: secret.host,
    port: secret.port,
    database: secret.dbname,
    user: secret.username,
    // Re-read per new connection (cached with a TTL) so a rotated password is picked up.
    password: async () => (await getDbSecret(secretArn)).password,
    // Verified TLS. Node's CA store lacks the RDS CAs: the Lambda must set
    // NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem (the runtime's bundle includes them).
    ssl: { rejectUnauthorized: true },
    max: 2,
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: 10_000,
  });
  // A rotation replaces the password the cache still holds: read it afresh once.
  return retryAuthFailureOnce(pool, () => invalidateSecret(secretArn), `config database (secret ${secretArn})`);
}

/** Destroys the cached instance for one configuration, or all of them. Does not close PGlite (shared with the warehouse). */
export async function closeConfigDb(cfg?: ConfigDbSettings): Promise<void> {
  const keys = cfg ? [cacheKey(cfg)] : [...instances.keys()];
  for (const k of keys) {
    const p = instances.get(k);
    instances.delete(k);
    if (!p) continue;
    try {
      await (await p).destroy();
    } catch {
      // Opening failed; nothing to close.
    }
  }
}
