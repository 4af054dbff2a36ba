import type { FunctionNeeds } from './function-catalog.ts';
import {
  type EfiPrefixes,
  isServerless,
  type RedshiftTarget,
  redshiftSecretArn,
  type StatementPolling,
} from './props.ts';

export interface EnvironmentInputs {
  bucketName: string;
  prefixes: EfiPrefixes;
  redshift: RedshiftTarget;
  copyRoleArn: string;
  configDbSecretArn: string;
  topicArn: string;
  eventBusName: string;
  timeZone: string;
  polling: StatementPolling;
  metricNamespace: string;
}

/**
 * The variables functions/lib/settings.ts reads, limited to what one function
 * needs: a function that never touches the warehouse is not told where it is.
 */
export function functionEnvironment(needs: FunctionNeeds, x: EnvironmentInputs): Record<string, string> {
  const env: Record<string, string> = {
    NODE_OPTIONS: '--enable-source-maps',
    // Node 20+ on Lambda no longer trusts the RDS CAs by default; the config DB connection verifies TLS.
    NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
    EFI_CONFIG_DB_SECRET_ARN: x.configDbSecretArn,
    EFI_TIMEZONE: x.timeZone,
    EFI_METRIC_NAMESPACE: x.metricNamespace,
  };
  if (needs.s3 || needs.storageEnv) {
    Object.assign(env, {
      EFI_OBJECT_STORE: 's3',
      EFI_BUCKET: x.bucketName,
      EFI_LANDING_PREFIX: x.prefixes.landing,
      EFI_PROCESSING_PREFIX: x.prefixes.processing,
      EFI_ARCHIVE_PREFIX: x.prefixes.archive,
      EFI_REJECTED_PREFIX: x.prefixes.rejected,
    });
  }
  if (needs.warehouse) {
    const t = x.redshift;
    env['EFI_WAREHOUSE'] = 'redshift';
    if (isServerless(t)) env['EFI_REDSHIFT_WORKGROUP'] = t.workgroupName;
    else env['EFI_REDSHIFT_CLUSTER_ID'] = t.clusterIdentifier;
    env['EFI_REDSHIFT_DATABASE'] = t.database;
    const secret = redshiftSecretArn(t);
    if (secret) env['EFI_REDSHIFT_SECRET_ARN'] = secret;
    else if ('dbUser' in t) env['EFI_REDSHIFT_DB_USER'] = t.dbUser;
    env['EFI_COPY_ROLE_ARN'] = x.copyRoleArn;
    // The Submit/Check functions pace the Wait loops (statement-poll.ts).
    env['EFI_POLL_FIRST_WAIT_SECONDS'] = String(x.polling.firstWaitSeconds);
    env['EFI_POLL_MAX_WAIT_SECONDS'] = String(x.polling.maxWaitSeconds);
    env['EFI_POLL_MAX_POLLS'] = String(x.polling.maxPolls);
  }
  if (needs.notifier) {
    Object.assign(env, { EFI_NOTIFIER: 'aws', EFI_SNS_TOPIC_ARN: x.topicArn, EFI_EVENT_BUS_NAME: x.eventBusName });
  }
  return env;
}
