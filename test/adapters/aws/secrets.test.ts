import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { getDbSecret, invalidateSecret, setSecretsClient } from '../../../functions/lib/adapters/aws/secrets.ts';
import { closeConfigDb, openConfigDb } from '../../../functions/lib/adapters/config-db/connect.ts';
import { ConfigInvalid, TransientError } from '../../../functions/lib/errors.ts';

const pgUrl = inject('pgUrl');
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:efi-config-db-AbCdEf';
const PASSWORD = 's3cr3t-Pa55word';
const sm = mockClient(SecretsManagerClient);

function secret(value: Record<string, unknown> | string) {
  return { SecretString: typeof value === 'string' ? value : JSON.stringify(value) };
}

beforeEach(() => {
  sm.reset();
  setSecretsClient(null);
});
afterAll(() => sm.restore());

describe('getDbSecret', () => {
  it('reads the RDS secret once per TTL', async () => {
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves(
      secret({ host: 'db.example', port: 5433, username: 'efi', password: PASSWORD, dbname: 'efi' }),
    );
    let now = 1_000;
    const opts = { ttlMs: 60_000, now: () => now };
    const expected = { host: 'db.example', port: 5433, username: 'efi', password: PASSWORD, dbname: 'efi' };
    expect(await getDbSecret(ARN, opts)).toEqual(expected);
    now += 59_999;
    expect(await getDbSecret(ARN, opts)).toEqual(expected);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now += 1;
    await getDbSecret(ARN, opts);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    invalidateSecret(ARN);
    await getDbSecret(ARN, opts);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('defaults port and dbname', async () => {
    sm.on(GetSecretValueCommand).resolves(secret({ host: 'h', username: 'u', password: PASSWORD }));
    expect(await getDbSecret(ARN)).toMatchObject({ port: 5432, dbname: 'postgres' });
  });

  it.each([
    ['not JSON', `{"password":"${PASSWORD}"`, `secret ${ARN} is not JSON`],
    ['a missing field', { host: 'h', password: PASSWORD }, `secret ${ARN}: field username is missing`],
    ['a bad port', { host: 'h', username: 'u', password: PASSWORD, port: 'x' }, 'field port is not a TCP port number'],
  ])('rejects %s without quoting the secret', async (_what, value, message) => {
    sm.on(GetSecretValueCommand).resolves(secret(value));
    const error = await getDbSecret(ARN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigInvalid);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('does not cache a failed lookup, and maps throttling to a transient error', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sm.on(GetSecretValueCommand)
      .rejectsOnce(throttled)
      .resolves(secret({ host: 'h', username: 'u', password: PASSWORD }));
    await expect(getDbSecret(ARN)).rejects.toBeInstanceOf(TransientError);
    expect((await getDbSecret(ARN)).host).toBe('h');
  });

  it('explains an access failure with what to check', async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(getDbSecret(ARN)).rejects.toThrow(
      `cannot read secret ${ARN}: AccessDeniedException: not authorized; check the ARN and that this role may call secretsmanager:GetSecretValue`,
    );
  });
});

describe.skipIf(!pgUrl)('openConfigDb with a Secrets Manager secret', () => {
  afterEach(() => closeConfigDb({ kind: 'secret', secretArn: ARN }));

  it('connects to the host in the secret with TLS required', async () => {
    const u = new URL(pgUrl!);
    sm.on(GetSecretValueCommand).resolves(
      secret({ host: u.hostname, port: Number(u.port), username: 'postgres', password: PASSWORD, dbname: 'postgres' }),
    );
    const db = await openConfigDb({ kind: 'secret', secretArn: ARN });
    expect(await openConfigDb({ kind: 'secret', secretArn: ARN })).toBe(db);
    // The test server has no TLS: reaching it and being refused for that proves both.
    const error = await sql`select 1`.execute(db).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/does not support SSL/);
    expect((error as Error).message).not.toContain(PASSWORD);
  });
});
