import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ConfigInvalid, classifyError } from '../../errors.ts';

/**
 * Secrets Manager lookups for database credentials. One client per process and
 * one cached value per secret with a TTL, so a warm Lambda does not call
 * Secrets Manager per invocation yet picks up a rotated password within the
 * TTL. Secret values never appear in errors or logs: messages name the secret
 * and the field, never its content.
 */

/** The JSON shape RDS (and `rds.DatabaseSecret`) stores. */
export interface DbSecret {
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string;
}

export const DEFAULT_SECRET_TTL_MS = 5 * 60 * 1000;

let client: SecretsManagerClient | null = null;
const cache = new Map<string, { value: Promise<string>; expires: number }>();

function secretsClient(): SecretsManagerClient {
  client ??= new SecretsManagerClient({});
  return client;
}

/** Test seam and re-configuration hook: replace the process-wide client and drop cached values. */
export function setSecretsClient(c: SecretsManagerClient | null): void {
  client = c;
  cache.clear();
}

/** Forgets cached values (all, or one secret), e.g. after an authentication failure. */
export function invalidateSecret(secretId?: string): void {
  if (secretId === undefined) cache.clear();
  else cache.delete(secretId);
}

export async function getSecretString(
  secretId: string,
  opts: { ttlMs?: number; now?: () => number } = {},
): Promise<string> {
  const now = (opts.now ?? Date.now)();
  const hit = cache.get(secretId);
  if (hit && hit.expires > now) return hit.value;
  const value = fetchSecret(secretId);
  cache.set(secretId, { value, expires: now + (opts.ttlMs ?? DEFAULT_SECRET_TTL_MS) });
  // A failed lookup must not be cached: the next call retries.
  value.catch(() => {
    if (cache.get(secretId)?.value === value) cache.delete(secretId);
  });
  return value;
}

async function fetchSecret(secretId: string): Promise<string> {
  let out: GetSecretValueCommandOutput;
  try {
    out = await secretsClient().send(new GetSecretValueCommand({ SecretId: secretId }));
  } catch (e) {
    const err = classifyError(e);
    if (err !== e) throw err;
    throw new ConfigInvalid(
      `cannot read secret ${secretId}: ${(e as Error).name}: ${(e as Error).message}; check the ARN and that this role may call secretsmanager:GetSecretValue on it`,
      {},
      { cause: e },
    );
  }
  if (typeof out.SecretString !== 'string') {
    throw new ConfigInvalid(`secret ${secretId} has no SecretString: store the credentials as a JSON text secret`);
  }
  return out.SecretString;
}

/** Reads and checks a database secret ({host, port, username, password, dbname}). */
export async function getDbSecret(
  secretId: string,
  opts: { ttlMs?: number; now?: () => number } = {},
): Promise<DbSecret> {
  const text = await getSecretString(secretId, opts);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Deliberately no parser message: it can quote the secret's content.
    throw new ConfigInvalid(`secret ${secretId} is not JSON: expected {"host","port","username","password","dbname"}`);
  }
  if (typeof json !== 'object' || json === null) {
    throw new ConfigInvalid(
      `secret ${secretId} is not a JSON object: expected {"host","port","username","password","dbname"}`,
    );
  }
  const o = json as Record<string, unknown>;
  const str = (k: string): string => {
    const v = o[k];
    if (typeof v !== 'string' || v === '')
      throw new ConfigInvalid(`secret ${secretId}: field ${k} is missing or not a non-empty string`);
    return v;
  };
  const port = o['port'] === undefined ? 5432 : Number(o['port']);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ConfigInvalid(`secret ${secretId}: field port is not a TCP port number`);
  }
  const dbname = typeof o['dbname'] === 'string' && o['dbname'] !== '' ? o['dbname'] : 'postgres';
  return { host: str('host'), port, username: str('username'), password: str('password'), dbname };
}
