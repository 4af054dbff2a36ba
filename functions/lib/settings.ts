import path from 'node:path';
import { ConfigInvalid } from './errors.ts';

/**
 * Process settings, read once from the environment. Adapters are chosen from
 * these, never hard-wired in a handler. Every variable is documented in the
 * README's Configuration section.
 */
export interface Settings {
  /** Local state folder (object store, PGlite data dir). */
  home: string;
  bucket: string;
  prefixes: { landing: string; processing: string; archive: string; rejected: string };
  objectStore: { kind: 'fs'; root: string } | { kind: 's3'; endpoint: string | null; forcePathStyle: boolean };
  warehouse:
    | { kind: 'pglite'; dataDir: string }
    | { kind: 'postgres'; url: string }
    | {
        kind: 'redshift';
        clusterIdentifier: string | null;
        workgroupName: string | null;
        database: string;
        dbUser: string | null;
        secretArn: string | null;
        copyRoleArn: string;
        region: string | null;
      };
  configDb:
    | { kind: 'pglite'; dataDir: string }
    | { kind: 'postgres'; url: string }
    | { kind: 'secret'; secretArn: string };
  notifier: { kind: 'outbox'; echo: boolean } | { kind: 'aws'; topicArn: string | null; eventBusName: string | null };
  /** IANA zone for archive date folders. */
  timeZone: string;
  /** Pace and ceiling of the Wait/Check loops (EFI_POLL_*); unset: steps/statement-poll.ts DEFAULT_POLL_POLICY. */
  polling?: { firstWaitSeconds: number; maxWaitSeconds: number; maxPolls: number };
  /**
   * How Preprocess writes parts: 'gzip' (what Redshift COPY reads from S3), or
   * 'none' when a local warehouse reads them from the local folder store,
   * where gzip then gunzip would only cost time. EFI_PART_COMPRESSION
   * overrides; Redshift always gets gzip.
   */
  partCompression: 'gzip' | 'none';
}

type Env = Record<string, string | undefined>;

function prefix(env: Env, name: string, dflt: string): string {
  const v = env[name] ?? dflt;
  if (v.startsWith('/') || v.includes('..'))
    throw new ConfigInvalid(`${name}=${v}: a prefix must be relative and must not contain '..'`);
  return v === '' || v.endsWith('/') ? v : `${v}/`;
}

function pgUrl(env: Env, name: string): string | null {
  const v = env[name];
  if (v === undefined || v === '' || v === 'pglite') return null;
  if (!/^postgres(ql)?:\/\//.test(v)) {
    throw new ConfigInvalid(
      `${name} must be a postgres:// URL or 'pglite', got ${JSON.stringify(v.replace(/:[^:@/]*@/, ':***@'))}`,
    );
  }
  return v;
}

function required(env: Env, name: string, why: string): string {
  const v = env[name];
  if (!v) throw new ConfigInvalid(`${name} is required ${why}`);
  return v;
}

export function loadSettings(env: Env = process.env): Settings {
  const home = path.resolve(env['EFI_HOME'] ?? '.efi');
  const pgliteDir = path.join(home, 'pglite');

  const storeKind = env['EFI_OBJECT_STORE'] ?? 'fs';
  let objectStore: Settings['objectStore'];
  if (storeKind === 'fs') objectStore = { kind: 'fs', root: path.join(home, 's3') };
  else if (storeKind === 's3') {
    objectStore = { kind: 's3', endpoint: env['EFI_S3_ENDPOINT'] || null, forcePathStyle: !!env['EFI_S3_ENDPOINT'] };
  } else throw new ConfigInvalid(`EFI_OBJECT_STORE must be 'fs' or 's3', got ${JSON.stringify(storeKind)}`);

  let warehouse: Settings['warehouse'];
  const wh = env['EFI_WAREHOUSE'] ?? 'pglite';
  if (wh === 'redshift') {
    const clusterIdentifier = env['EFI_REDSHIFT_CLUSTER_ID'] || null;
    const workgroupName = env['EFI_REDSHIFT_WORKGROUP'] || null;
    if (!clusterIdentifier === !workgroupName) {
      throw new ConfigInvalid(
        'set exactly one of EFI_REDSHIFT_CLUSTER_ID (provisioned) or EFI_REDSHIFT_WORKGROUP (Serverless)',
      );
    }
    warehouse = {
      kind: 'redshift',
      clusterIdentifier,
      workgroupName,
      database: required(env, 'EFI_REDSHIFT_DATABASE', 'when EFI_WAREHOUSE=redshift'),
      dbUser: env['EFI_REDSHIFT_DB_USER'] || null,
      secretArn: env['EFI_REDSHIFT_SECRET_ARN'] || null,
      copyRoleArn: required(
        env,
        'EFI_COPY_ROLE_ARN',
        'when EFI_WAREHOUSE=redshift (the IAM role Redshift assumes to read S3)',
      ),
      region: env['AWS_REGION'] || null,
    };
  } else {
    const url = pgUrl(env, 'EFI_WAREHOUSE');
    warehouse = url ? { kind: 'postgres', url } : { kind: 'pglite', dataDir: pgliteDir };
  }

  let configDb: Settings['configDb'];
  if (env['EFI_CONFIG_DB_SECRET_ARN']) configDb = { kind: 'secret', secretArn: env['EFI_CONFIG_DB_SECRET_ARN'] };
  else {
    const url = pgUrl(env, 'EFI_CONFIG_DB');
    configDb = url ? { kind: 'postgres', url } : { kind: 'pglite', dataDir: pgliteDir };
  }

  const notifierKind = env['EFI_NOTIFIER'] ?? 'outbox';
  let notifier: Settings['notifier'];
  if (notifierKind === 'outbox') notifier = { kind: 'outbox', echo: env['EFI_OUTBOX_ECHO'] !== '0' };
  else if (notifierKind === 'aws') {
    notifier = {
      kind: 'aws',
      topicArn: env['EFI_SNS_TOPIC_ARN'] || null,
      eventBusName: env['EFI_EVENT_BUS_NAME'] || null,
    };
  } else throw new ConfigInvalid(`EFI_NOTIFIER must be 'outbox' or 'aws', got ${JSON.stringify(notifierKind)}`);

  return {
    home,
    bucket: env['EFI_BUCKET'] ?? 'efi-local',
    prefixes: {
      landing: prefix(env, 'EFI_LANDING_PREFIX', 'landing/'),
      processing: prefix(env, 'EFI_PROCESSING_PREFIX', 'processing/'),
      archive: prefix(env, 'EFI_ARCHIVE_PREFIX', 'archive/'),
      rejected: prefix(env, 'EFI_REJECTED_PREFIX', 'rejected/'),
    },
    objectStore,
    warehouse,
    configDb,
    notifier,
    timeZone: env['EFI_TIMEZONE'] ?? 'UTC',
    ...polling(env),
    partCompression: partCompressionOf(env, warehouse, objectStore),
  };
}

function partCompressionOf(
  env: Env,
  warehouse: Settings['warehouse'],
  objectStore: Settings['objectStore'],
): Settings['partCompression'] {
  const v = env['EFI_PART_COMPRESSION'];
  if (warehouse.kind === 'redshift') return 'gzip';
  if (v === 'gzip' || v === 'none') return v;
  if (v) throw new ConfigInvalid(`EFI_PART_COMPRESSION must be 'gzip' or 'none', got ${JSON.stringify(v)}`);
  return objectStore.kind === 'fs' ? 'none' : 'gzip';
}

function positiveInt(env: Env, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigInvalid(`${name} must be a positive whole number, got ${JSON.stringify(v)}`);
  return n;
}

function polling(env: Env): Pick<Settings, 'polling'> {
  const first = positiveInt(env, 'EFI_POLL_FIRST_WAIT_SECONDS');
  const max = positiveInt(env, 'EFI_POLL_MAX_WAIT_SECONDS');
  const polls = positiveInt(env, 'EFI_POLL_MAX_POLLS');
  if (first === undefined && max === undefined && polls === undefined) return {};
  return { polling: { firstWaitSeconds: first ?? 5, maxWaitSeconds: max ?? 300, maxPolls: polls ?? 150 } };
}
