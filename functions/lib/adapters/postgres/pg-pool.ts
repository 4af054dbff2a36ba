import pg from 'pg';
import { TransientError } from '../../errors.ts';

/**
 * Every node-postgres pool efi opens (config DB, warehouse) comes from here,
 * so two rules hold everywhere:
 *
 * - A lost connection never crashes the process. pg emits `'error'` on an idle
 *   client's pool and on a checked-out client between queries (server stopped,
 *   `pg_terminate_backend`); an `'error'` event without a listener is thrown by
 *   Node as an uncaught exception. The listeners only keep the process alive:
 *   the failure itself reaches the caller as the next query's rejection, which
 *   `classifyError` maps to `EfiTransient`, and pg-pool drops the dead client.
 * - An idle pool does not keep the event loop alive (`allowExitOnIdle`), so a
 *   CLI command exits when its work is done, not when the idle timeout fires.
 */
export function createPgPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool({ allowExitOnIdle: true, ...config });
  pool.on('error', ignoreLostConnection);
  pool.on('connect', (client) => client.on('error', ignoreLostConnection));
  return pool;
}

function ignoreLostConnection(): void {
  // Deliberately empty: see createPgPool.
}

/**
 * Retries a failed authentication (SQLSTATE 28P01) once after `refresh`, for
 * pools whose password comes from a cached, rotating secret: the cached value
 * may be the one rotation just replaced. A second failure is transient (the
 * rotation may still be in progress), so the state's Retry tries again later.
 * Wraps `pool.connect`, which `pool.query` and Kysely's driver both go through.
 */
export function retryAuthFailureOnce(pool: pg.Pool, refresh: () => void, what: string): pg.Pool {
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const withRetry = async (): Promise<pg.PoolClient> => {
    try {
      return await connect();
    } catch (e) {
      if (!isAuthFailure(e)) throw e;
      refresh();
      try {
        return await connect();
      } catch (again) {
        if (!isAuthFailure(again)) throw again;
        throw new TransientError(
          `${what}: password authentication failed twice, the second time with a freshly read secret; if the secret is being rotated this clears by itself, otherwise check the secret's username and password`,
          {},
          { cause: again },
        );
      }
    }
  };
  type Callback = (err: Error | undefined, client?: pg.PoolClient, release?: (err?: Error) => void) => void;
  // Both forms: Kysely awaits connect(), pg-pool's own query() passes a callback.
  pool.connect = ((cb?: Callback) => {
    if (!cb) return withRetry();
    withRetry().then(
      (client) => cb(undefined, client, (err?: Error) => client.release(err)),
      (err: Error) => cb(err),
    );
    return undefined;
  }) as typeof pool.connect;
  return pool;
}

function isAuthFailure(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === '28P01';
}
