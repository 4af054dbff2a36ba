import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { FunctionNeeds } from './function-catalog.ts';
import { type FunctionRole, statement } from './function-role.ts';
import { type EfiPrefixes, isDbUser, isServerless, type RedshiftTarget, redshiftSecretArn } from './props.ts';

const OBJECT_REASON =
  'Object keys are per file (one run, one key or one part set) under a fixed prefix; the prefix is the narrowest stable scope.';

/** Object-level S3 statements, one per access letter, each scoped to the prefixes that need it. */
export function grantS3(role: FunctionRole, bucket: IBucket, prefixes: EfiPrefixes, needs: FunctionNeeds): void {
  const byAccess: Record<'r' | 'w' | 'd', string[]> = { r: [], w: [], d: [] };
  for (const [name, access] of Object.entries(needs.s3 ?? {})) {
    for (const letter of access as string) {
      const list = byAccess[letter as 'r' | 'w' | 'd'];
      if (!list) throw new Error(`unknown S3 access '${letter}' for prefix ${name}: use r, w or d`);
      list.push(bucket.arnForObjects(`${prefixes[name as keyof EfiPrefixes]}*`));
    }
  }
  if (byAccess.r.length) role.allow(statement('ReadObjects', ['s3:GetObject'], byAccess.r), OBJECT_REASON);
  if (byAccess.w.length) {
    // AbortMultipartUpload: a failed streamed upload or multipart copy cleans up its parts.
    role.allow(statement('WriteObjects', ['s3:PutObject', 's3:AbortMultipartUpload'], byAccess.w), OBJECT_REASON);
  }
  if (byAccess.d.length) role.allow(statement('DeleteObjects', ['s3:DeleteObject'], byAccess.d), OBJECT_REASON);
  if (needs.listBucket) role.allow(statement('ListBucket', ['s3:ListBucket'], [bucket.bucketArn]));
}

/** The Data API statements for the target, and the credentials it authenticates with. */
/**
 * @param statementOwnerRoleIds role ids of every function that submits statements: the Data API
 *   records the submitting session (`<role id>:<function name>`) as the statement's owner.
 */
export function grantWarehouse(role: FunctionRole, target: RedshiftTarget, statementOwnerRoleIds: string[]): void {
  const stack = Stack.of(role);
  let resource: string;
  let wildcardReason: string | undefined;
  if (isServerless(target)) {
    resource =
      target.workgroupArn ??
      stack.formatArn({ service: 'redshift-serverless', resource: 'workgroup', resourceName: '*' });
    if (!target.workgroupArn) {
      wildcardReason =
        'Workgroup ARNs carry the workgroup id, not its name, and none was given (redshift.workgroupArn); set it to scope this to one workgroup.';
    }
  } else {
    resource = stack.formatArn({
      service: 'redshift',
      resource: 'cluster',
      resourceName: target.clusterIdentifier,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
  role.allow(
    statement(
      'SubmitStatements',
      ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'],
      [resource],
    ),
    wildcardReason,
  );
  // These actions have no resource type. The owner condition (the managed policy's
  // `${aws:userid}` idea) is widened from this session to the pipeline's warehouse
  // roles, because check-load polls what submit-load submitted.
  role.allow(
    statement(
      'PipelineStatementsOnly',
      ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult', 'redshift-data:CancelStatement'],
      ['*'],
      { StringLike: { 'redshift-data:statement-owner-iam-userid': statementOwnerRoleIds.map((id) => `${id}:*`) } },
    ),
    'DescribeStatement, GetStatementResult and CancelStatement support no resource type; the statement-owner-iam-userid condition limits them to statements submitted by the pipeline warehouse roles.',
  );

  const secret = redshiftSecretArn(target);
  if (secret) {
    role.allow(statement('RedshiftSecret', ['secretsmanager:GetSecretValue'], [secret]));
  } else if (isDbUser(target)) {
    const arn = (resource: 'dbuser' | 'dbname', name: string) =>
      stack.formatArn({
        service: 'redshift',
        resource,
        resourceName: `${target.clusterIdentifier}/${name}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    role.allow(
      statement(
        'ClusterCredentials',
        ['redshift:GetClusterCredentials'],
        [arn('dbuser', target.dbUser), arn('dbname', target.database)],
      ),
    );
  } else if (isServerless(target)) {
    role.allow(statement('ServerlessCredentials', ['redshift-serverless:GetCredentials'], [resource]), wildcardReason);
  }
}

/** SNS publish on the topic (and its key) and PutEvents on the status bus. */
export function grantNotifier(role: FunctionRole, topic: ITopic, topicKey: IKey, bus: IEventBus): void {
  role.allow(statement('PublishStatus', ['sns:Publish'], [topic.topicArn]));
  // An SSE-KMS topic needs the publisher to generate and use a data key.
  role.allow(statement('TopicKey', ['kms:GenerateDataKey', 'kms:Decrypt'], [topicKey.keyArn]));
  role.allow(statement('PutStatusEvents', ['events:PutEvents'], [bus.eventBusArn]));
}

/** Read the config database secret. */
export function grantConfigDbSecret(role: FunctionRole, secretArn: string): void {
  role.allow(statement('ConfigDbSecret', ['secretsmanager:GetSecretValue'], [secretArn]));
}

/** Write to the function's own log group only. */
export function grantLogs(role: FunctionRole, logGroupArn: string): void {
  role.allow(statement('WriteOwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], [logGroupArn]));
}

/** Exactly the EC2 actions of AWSLambdaVPCAccessExecutionRole, written here instead of attaching it. */
export function grantVpcAccess(role: FunctionRole): void {
  role.allow(
    statement(
      'VpcNetworkInterfaces',
      [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      ['*'],
    ),
    'Lambda manages the VPC network interfaces with the execution role; the EC2 Describe actions support no resource type and the interface ids are not known in advance (these are the AWSLambdaVPCAccessExecutionRole actions, written out instead of attaching the managed policy).',
  );
}

export function grantTracing(role: FunctionRole): void {
  role.allow(
    statement('XRayTraces', ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*']),
    'X-Ray PutTraceSegments and PutTelemetryRecords support no resource type.',
  );
}

/** Only a well-formed ARN can be scoped; fail at synth, not at deploy. */
export function assertArn(value: string, service: string, what: string): void {
  let parts: ReturnType<typeof Arn.split> | null = null;
  try {
    parts = Arn.split(value, ArnFormat.COLON_RESOURCE_NAME);
  } catch {
    parts = null;
  }
  if (!parts || parts.service !== service) {
    throw new Error(
      `${what} must be an ${service} ARN (arn:aws:${service}:REGION:ACCOUNT:...), got ${JSON.stringify(value)}`,
    );
  }
}
