import type { RemovalPolicy } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Key prefixes inside the landing bucket; each ends with '/'. */
export interface EfiPrefixes {
  landing: string;
  processing: string;
  archive: string;
  rejected: string;
}

/** Provisioned cluster, Data API authenticating with temporary credentials for a database user. */
export interface RedshiftClusterDbUserTarget {
  clusterIdentifier: string;
  database: string;
  dbUser: string;
}

/** Provisioned cluster, Data API authenticating with a Secrets Manager secret. */
export interface RedshiftClusterSecretTarget {
  clusterIdentifier: string;
  database: string;
  secretArn: string;
}

/** Redshift Serverless workgroup (IAM identity, or a secret when secretArn is set). */
export interface RedshiftServerlessTarget {
  workgroupName: string;
  /**
   * The workgroup's ARN. IAM resources for a workgroup carry its id, not its
   * name, so without it the Data API grant covers every workgroup in the account.
   */
  workgroupArn?: string;
  database: string;
  secretArn?: string;
}

export type RedshiftTarget = RedshiftClusterDbUserTarget | RedshiftClusterSecretTarget | RedshiftServerlessTarget;

export interface LandingBucketProps {
  /** Use this existing bucket (EventBridge notifications must already be on); omit to create one. */
  existingBucketName?: string;
  /** Versioning on a new bucket. Default false (archive/ keeps the originals). */
  versioned?: boolean;
  /** Days before processing/ parts expire on a new bucket. Default 7. */
  processingExpirationDays?: number;
}

export interface ExternalFileIngestionProps {
  bucket?: LandingBucketProps;
  /** Default landing/, processing/, archive/, rejected/. */
  prefixes?: Partial<EfiPrefixes>;
  redshift: RedshiftTarget;
  /** The IAM role Redshift assumes to read S3 in COPY. */
  copyRoleArn: string;
  /**
   * Attach a policy granting the COPY role read on landing/ and processing/.
   * Default false: the role is imported and its owner grants that access (docs/deploy.md).
   */
  manageCopyRolePolicy?: boolean;
  /** Secret with the config/audit PostgreSQL connection (host, port, username, password, dbname). */
  configDbSecretArn: string;
  /** Where the functions run: the VPC that reaches the config database. */
  vpc: IVpc;
  vpcSubnets?: SubnetSelection;
  /** Default: one new security group with egress only. */
  securityGroups?: ISecurityGroup[];
  /** Bus for the status events: 'default' (the default) or a bus name. */
  eventBusName?: string;
  /** Create the named bus instead of using an existing one. Default false. */
  createEventBus?: boolean;
  /** IANA zone for archive date folders. Default UTC. */
  timeZone?: string;
  /** Retention of every log group. Default three months. */
  logRetention?: RetentionDays;
  /** Applies to the bucket, log buckets, keys and log groups. Default RETAIN. */
  removalPolicy?: RemovalPolicy;
  /** X-Ray active tracing on the functions. Default true (the state machine always traces). */
  functionTracing?: boolean;
  /** Pace and ceiling of the load/transform Wait/Check loops (docs/deploy.md, "History budget"). */
  statementPolling?: Partial<StatementPolling>;
  /** Thresholds and periods of the alarms (every alarm notifies the topic). */
  alarms?: EfiAlarmOptions;
  /** CloudWatch namespace of efi's own metrics (the StateFailures metric by kind). Default `efi/<construct unique id>`. */
  metricNamespace?: string;
}

/** Same meaning and defaults as functions/lib/steps/statement-poll.ts DEFAULT_POLL_POLICY. */
export interface StatementPolling {
  /** Default 5. */
  firstWaitSeconds: number;
  /** Default 300. */
  maxWaitSeconds: number;
  /** Polls per statement and execution attempt before StatementStillRunning. Default 150 (~12.1 h). */
  maxPolls: number;
}

export const DEFAULT_STATEMENT_POLLING: StatementPolling = { firstWaitSeconds: 5, maxWaitSeconds: 300, maxPolls: 150 };

/** History events of one Wait → Check → Choice round; Step Functions caps a history at 25,000 events. */
const EVENTS_PER_POLL = 9;
const HISTORY_LIMIT = 25_000;
/** Events of a run apart from polling, with every Task retried twice (docs/deploy.md). */
const FIXED_EVENTS = 250;

/** Fills the defaults and refuses a policy whose two loops could use more than half the history in one attempt. */
export function normaliseStatementPolling(given: Partial<StatementPolling> = {}): StatementPolling {
  const p = { ...DEFAULT_STATEMENT_POLLING, ...given };
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`statementPolling.${k}=${v}: a positive whole number`);
  }
  const events = 2 * p.maxPolls * EVENTS_PER_POLL + FIXED_EVENTS;
  if (events > HISTORY_LIMIT / 2) {
    throw new Error(
      `statementPolling.maxPolls=${p.maxPolls}: up to ${events} history events per attempt, over half the ${HISTORY_LIMIT}-event limit; a run that reached it could not be redriven. Lower maxPolls, raise maxWaitSeconds instead`,
    );
  }
  return p;
}

/** One alarm's knobs. */
export interface AlarmThreshold {
  /** Alarm at this count or more in one period. */
  threshold?: number;
  periodMinutes?: number;
  evaluationPeriods?: number;
}

export interface EfiAlarmOptions {
  /** efi states that failed for an operational reason (StateFailures kind=operational). Default 1 in 5 min. */
  operationalFailures?: AlarmThreshold;
  /**
   * Executions FAILED less the rejected files (StateFailures kind=rejected): what failed outside an efi
   * function (a task timeout, Lambda service errors after the retries, States.Runtime). Default 1 in 15 min.
   */
  executionsFailed?: AlarmThreshold;
  /** Executions TIMED_OUT (24 h). Default 1 in 5 min. */
  executionsTimedOut?: AlarmThreshold;
  /** Events EventBridge could not deliver (dead-letter queue). Default 1 in 5 min. */
  eventsDeadLettered?: AlarmThreshold;
}

export function isServerless(t: RedshiftTarget): t is RedshiftServerlessTarget {
  return 'workgroupName' in t;
}

export function isDbUser(t: RedshiftTarget): t is RedshiftClusterDbUserTarget {
  return 'dbUser' in t;
}

/** The Redshift secret, when the target authenticates with one. */
export function redshiftSecretArn(t: RedshiftTarget): string | null {
  return 'secretArn' in t && t.secretArn ? t.secretArn : null;
}

const DEFAULT_PREFIXES: EfiPrefixes = {
  landing: 'landing/',
  processing: 'processing/',
  archive: 'archive/',
  rejected: 'rejected/',
};

/**
 * Same rules as functions/lib/settings.ts: relative, no '..', ending in '/'.
 * A prefix that nests in another (archive/ inside landing/) would re-trigger
 * the pipeline on its own output, so that is refused too.
 */
export function normalisePrefixes(given: Partial<EfiPrefixes> = {}): EfiPrefixes {
  const out = { ...DEFAULT_PREFIXES };
  for (const name of Object.keys(DEFAULT_PREFIXES) as (keyof EfiPrefixes)[]) {
    const v = given[name] ?? DEFAULT_PREFIXES[name];
    if (v === '' || v.startsWith('/') || v.includes('..') || v.includes('*')) {
      throw new Error(
        `prefixes.${name}=${JSON.stringify(v)}: a prefix must be non-empty, relative, without '..' or '*' (e.g. '${DEFAULT_PREFIXES[name]}')`,
      );
    }
    out[name] = v.endsWith('/') ? v : `${v}/`;
  }
  const names = Object.keys(out) as (keyof EfiPrefixes)[];
  for (const a of names) {
    for (const b of names) {
      if (a !== b && out[b].startsWith(out[a])) {
        throw new Error(
          `prefixes.${b}=${out[b]} is inside prefixes.${a}=${out[a]}: give each its own top-level prefix so outputs never re-trigger the pipeline`,
        );
      }
    }
  }
  return out;
}
