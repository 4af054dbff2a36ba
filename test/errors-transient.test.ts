import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { DatabaseError } from 'pg-protocol';
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { getDbSecret, invalidateSecret, setSecretsClient } from '../functions/lib/adapters/aws/secrets.ts';
import { createPgPool, retryAuthFailureOnce } from '../functions/lib/adapters/postgres/pg-pool.ts';
import { classifyDataApiError } from '../functions/lib/adapters/redshift/redshift-warehouse.ts';
import { classifyError, isTransientMessage, TransientError } from '../functions/lib/errors.ts';

/** Errors that clear by themselves are EfiTransient, so the state's Retry takes them (issue 8, F17). */

const pgUrl = inject('pgUrl');

function pgError(code: string, message: string): DatabaseError {
  const e = new DatabaseError(message, message.length, 'error');
  e.code = code;
  return e;
}

describe('classifyError: PostgreSQL conditions that clear by themselves', () => {
  it.each([
    ['53300', 'sorry, too many clients already'],
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is starting up'],
    ['57P02', 'terminating connection because of crash of another server process'],
    ['08006', 'connection failure'],
  ])('%s (%s) is transient', (code, message) => {
    expect(classifyError(pgError(code, message))).toBeInstanceOf(TransientError);
  });

  it('a content or schema error is not', () => {
    expect(classifyError(pgError('42P01', 'relation "x" does not exist'))).not.toBeInstanceOf(TransientError);
    expect(classifyError(pgError('22P02', 'invalid input syntax for type integer'))).not.toBeInstanceOf(TransientError);
  });

  it('a password failure alone is not: only the secret-backed pool retries it (see below)', () => {
    expect(classifyError(pgError('28P01', 'password authentication failed for user "efi"'))).not.toBeInstanceOf(
      TransientError,
    );
  });

  it("node-postgres's code-less connection errors are transient", () => {
    for (const m of [
      'Connection terminated unexpectedly',
      'Connection terminated',
      'Client has encountered a connection error and is not queryable',
      'timeout exceeded when trying to connect',
    ]) {
      expect(classifyError(new Error(m)), m).toBeInstanceOf(TransientError);
    }
    expect(classifyError(new Error('Connection refused by policy'))).not.toBeInstanceOf(TransientError);
  });
});

describe('Redshift serializable isolation violation (error 1023)', () => {
  const TEXT =
    'ERROR: 1023 DETAIL: Serializable isolation violation on table - 123456, transactions forming the cycle are: 2001, 2002 (pid:4242)';

  it('is transient when thrown, over the wire (XX000) or from the Data API', () => {
    expect(classifyError(pgError('XX000', TEXT))).toBeInstanceOf(TransientError);
    const api = Object.assign(new Error(TEXT), { name: 'ValidationException' });
    expect(classifyDataApiError(api)).toBeInstanceOf(TransientError);
  });

  it('is recognised in a statement error text (DescribeStatement Error)', () => {
    expect(isTransientMessage(TEXT)).toBe(true);
    expect(isTransientMessage('ERROR: relation "stage.t" does not exist')).toBe(false);
    expect(isTransientMessage(null)).toBe(false);
  });
});

describe.skipIf(!pgUrl)('a real server refusing connections', () => {
  it('53300 from a role at its connection limit is transient', async () => {
    const admin = new pg.Client({ connectionString: pgUrl! });
    await admin.connect();
    const role = `efi_limit_${process.pid}`;
    await admin.query(`DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN CONNECTION LIMIT 0`);
    try {
      const u = new URL(pgUrl!);
      u.username = role;
      const c = new pg.Client({ connectionString: u.toString() });
      c.on('error', () => undefined);
      const err = await c.connect().then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as { code?: string }).code).toBe('53300');
      expect(classifyError(err)).toBeInstanceOf(TransientError);
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });
});

describe('a secret-backed pool after a password rotation (28P01)', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:efi-db-AbCdEf';
  const sm = mockClient(SecretsManagerClient);
  const secret = (password: string) => ({
    SecretString: JSON.stringify({ host: 'db.example', port: 5432, username: 'efi', password, dbname: 'efi' }),
  });
  beforeEach(() => {
    sm.reset();
    setSecretsClient(null);
  });
  afterAll(() => sm.restore());

  /** A real pool whose server accepts only `current`: connect() checks the password the secret gives. */
  function poolAccepting(current: () => string): pg.Pool {
    const pool = createPgPool({ host: 'db.example' });
    pool.connect = (async () => {
      const password = (await getDbSecret(ARN)).password;
      if (password !== current()) throw pgError('28P01', 'password authentication failed for user "efi"');
      return { release: () => undefined } as unknown as pg.PoolClient;
    }) as typeof pool.connect;
    return retryAuthFailureOnce(pool, () => invalidateSecret(ARN), 'config database');
  }

  it('re-reads the secret once and connects with the rotated password', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce(secret('old')).resolves(secret('new'));
    let current = 'old';
    const pool = poolAccepting(() => current);
    (await pool.connect()).release();
    current = 'new'; // rotated: the cache still holds 'old'
    (await pool.connect()).release();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fails EfiTransient when the fresh secret is refused too, after exactly one re-read', async () => {
    sm.on(GetSecretValueCommand).resolves(secret('stale'));
    const pool = poolAccepting(() => 'something-else');
    const err = await pool.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).name).toBe('EfiTransient');
    expect((err as Error).message).not.toContain('stale');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('a callback caller (pg-pool query) gets the retried client too', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce(secret('old')).resolves(secret('new'));
    const pool = poolAccepting(() => 'new');
    const client = await new Promise((resolve, reject) =>
      (pool.connect as unknown as (cb: (e?: Error, c?: unknown) => void) => void)((e, c) =>
        e ? reject(e) : resolve(c),
      ),
    );
    expect(client).toBeTruthy();
  });
});
