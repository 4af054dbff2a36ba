import { readFileSync } from 'node:fs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { EfiStackProps } from './efi-stack.ts';
import type { RedshiftTarget } from './props.ts';

/**
 * Sample values so `npm run synth` works offline out of the box. They name
 * nothing real: a deploy must override them (docs/deploy.md lists every key).
 */
export const SAMPLE_CONTEXT: Readonly<Record<string, string>> = {
  redshiftClusterId: 'efi-sample-cluster',
  redshiftDatabase: 'dev',
  redshiftDbUser: 'efi_loader',
  copyRoleArn: 'arn:aws:iam::123456789012:role/efi-sample-redshift-copy',
  configDbSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:efi/sample-config-db-AbCdEf',
  vpcId: 'vpc-0123456789abcdef0',
  availabilityZones: 'us-east-1a,us-east-1b',
  subnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
};

/** Every context key, without its `efi:` prefix. */
export const CONTEXT_KEYS = [
  'stackName',
  'bucketName',
  'versioned',
  'processingExpirationDays',
  'landingPrefix',
  'processingPrefix',
  'archivePrefix',
  'rejectedPrefix',
  'redshiftClusterId',
  'redshiftWorkgroup',
  'redshiftWorkgroupArn',
  'redshiftDatabase',
  'redshiftDbUser',
  'redshiftSecretArn',
  'copyRoleArn',
  'manageCopyRolePolicy',
  'configDbSecretArn',
  'vpcId',
  'availabilityZones',
  'subnetIds',
  'securityGroupIds',
  'eventBusName',
  'createEventBus',
  'timeZone',
  'logRetentionDays',
  'removalPolicy',
  'functionTracing',
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];

export interface ResolvedContext {
  stackName: string;
  props: EfiStackProps;
  /** Keys that fell back to SAMPLE_CONTEXT: fine for synth, wrong for a deploy. */
  samplesUsed: string[];
}

type Lookup = (key: string) => unknown;

/**
 * Values come from `-c efi:<key>=...` (or cdk.json), then from the JSON file
 * named by `efi:config` (same keys, no prefix), then from SAMPLE_CONTEXT.
 */
export function resolveContext(tryGetContext: Lookup, region: string): ResolvedContext {
  const configPath = tryGetContext('efi:config');
  let file: Record<string, unknown> = {};
  if (typeof configPath === 'string' && configPath !== '') {
    try {
      file = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`efi:config=${configPath}: cannot read it as JSON (${(e as Error).message})`);
    }
    for (const k of Object.keys(file)) {
      if (!(CONTEXT_KEYS as readonly string[]).includes(k)) {
        throw new Error(`${configPath}: unknown key ${JSON.stringify(k)}; known keys: ${CONTEXT_KEYS.join(', ')}`);
      }
    }
  }
  const samplesUsed: string[] = [];
  const raw = (key: ContextKey): unknown => {
    const c = tryGetContext(`efi:${key}`);
    if (c !== undefined && c !== null && c !== '') return c;
    if (file[key] !== undefined && file[key] !== null && file[key] !== '') return file[key];
    return undefined;
  };
  const str = (key: ContextKey): string | undefined => {
    const v = raw(key);
    return v === undefined ? undefined : String(v);
  };
  const required = (key: ContextKey): string => {
    const v = str(key);
    if (v !== undefined) return v;
    const sample = SAMPLE_CONTEXT[key];
    if (sample === undefined)
      throw new Error(`efi:${key} is required (pass -c efi:${key}=... or set it in efi:config)`);
    samplesUsed.push(key);
    return sample;
  };
  const bool = (key: ContextKey): boolean | undefined => {
    const v = raw(key);
    if (v === undefined) return undefined;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw new Error(`efi:${key} must be true or false, got ${JSON.stringify(v)}`);
  };
  const int = (key: ContextKey): number | undefined => {
    const v = raw(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`efi:${key} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const list = (key: ContextKey, sampled: boolean): string[] | undefined => {
    const v = raw(key);
    if (Array.isArray(v)) return v.map(String);
    if (v !== undefined) return splitList(String(v));
    if (!sampled) return undefined;
    return splitList(required(key));
  };

  const workgroup = str('redshiftWorkgroup');
  const explicitCluster = str('redshiftClusterId');
  if (workgroup && explicitCluster) {
    throw new Error('set one of efi:redshiftClusterId (provisioned) or efi:redshiftWorkgroup (Serverless), not both');
  }
  const database = required('redshiftDatabase');
  const secretArn = str('redshiftSecretArn');
  let redshift: RedshiftTarget;
  if (workgroup) {
    const workgroupArn = str('redshiftWorkgroupArn');
    redshift = {
      workgroupName: workgroup,
      database,
      ...(workgroupArn ? { workgroupArn } : {}),
      ...(secretArn ? { secretArn } : {}),
    };
  } else {
    const clusterIdentifier = required('redshiftClusterId');
    redshift = secretArn
      ? { clusterIdentifier, database, secretArn }
      : { clusterIdentifier, database, dbUser: required('redshiftDbUser') };
  }

  const retentionDays = int('logRetentionDays');
  const removal = str('removalPolicy');
  if (removal !== undefined && removal !== 'retain' && removal !== 'destroy') {
    throw new Error(`efi:removalPolicy must be retain or destroy, got ${JSON.stringify(removal)}`);
  }
  const bucketName = str('bucketName');
  const versioned = bool('versioned');
  const expiration = int('processingExpirationDays');
  const tracing = bool('functionTracing');
  const securityGroupIds = list('securityGroupIds', false);

  const props: EfiStackProps = {
    env: { region },
    description: 'efi: External File Ingestion (S3 -> Step Functions -> Redshift)',
    network: {
      vpcId: required('vpcId'),
      availabilityZones: list('availabilityZones', true)!,
      subnetIds: list('subnetIds', true)!,
      ...(securityGroupIds ? { securityGroupIds } : {}),
    },
    efi: {
      bucket: {
        ...(bucketName ? { existingBucketName: bucketName } : {}),
        ...(versioned !== undefined ? { versioned } : {}),
        ...(expiration !== undefined ? { processingExpirationDays: expiration } : {}),
      },
      prefixes: definedOnly({
        landing: str('landingPrefix'),
        processing: str('processingPrefix'),
        archive: str('archivePrefix'),
        rejected: str('rejectedPrefix'),
      }),
      redshift,
      copyRoleArn: required('copyRoleArn'),
      manageCopyRolePolicy: bool('manageCopyRolePolicy') ?? false,
      configDbSecretArn: required('configDbSecretArn'),
      eventBusName: str('eventBusName') ?? 'default',
      createEventBus: bool('createEventBus') ?? false,
      timeZone: str('timeZone') ?? 'UTC',
      ...(retentionDays !== undefined ? { logRetention: retentionFromDays(retentionDays) } : {}),
      removalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      ...(tracing !== undefined ? { functionTracing: tracing } : {}),
    },
  };
  return { stackName: str('stackName') ?? 'Efi', props, samplesUsed };
}

function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function definedOnly<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

/** CloudWatch accepts only its fixed set of retention periods. */
function retentionFromDays(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');
  if (!allowed.includes(days as RetentionDays)) {
    throw new Error(`efi:logRetentionDays=${days} is not a CloudWatch retention; use one of ${allowed.join(', ')}`);
  }
  return days as RetentionDays;
}
