import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CONTEXT } from '../../infra/lib/app-context.ts';
import { DEFINITION_FILE } from '../../infra/lib/external-file-ingestion.ts';
import { FUNCTIONS } from '../../infra/lib/function-catalog.ts';
import {
  type FlatStatement,
  logicalIdOf,
  type Synthesized,
  statementsOfRole,
  synthWithContext,
} from './synth-helpers.ts';

let s: Synthesized;
beforeAll(() => {
  s = synthWithContext({});
});
afterAll(() => s?.cleanup());

const CONFIG_SECRET = SAMPLE_CONTEXT['configDbSecretArn']!;
const ACCOUNT_ARN = (service: string, rest: string) =>
  `arn:<AWS::Partition>:${service}:us-east-1:<AWS::AccountId>:${rest}`;

function fnResource(id: string) {
  const fn = s.stack.efi.functions[id]!;
  const r = s.json.Resources[logicalIdOf(s, fn)]!;
  return { fn, props: r.Properties, dependsOn: r.DependsOn ?? [] };
}

function roleIdOf(id: string): string {
  const role = fnResource(id).props['Role'] as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

describe('functions', () => {
  it('one Node 22 ARM64 function per state plus report-failure, each from functions/<folder>/handler.ts', () => {
    expect(Object.keys(s.stack.efi.functions).sort()).toEqual(FUNCTIONS.map((f) => f.id).sort());
    s.template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs22.x', Architectures: ['arm64'] },
      12,
    );
    for (const spec of FUNCTIONS) {
      const { props } = fnResource(spec.id);
      expect(props['Description']).toBe(`efi ${spec.folder}`);
      expect(props['TracingConfig']).toEqual({ Mode: 'Active' });
      expect(props['MemorySize']).toBe(spec.memoryMb);
      const vpc = props['VpcConfig'] as { SubnetIds: string[] };
      expect(vpc.SubnetIds).toEqual(SAMPLE_CONTEXT['subnetIds']!.split(','));
    }
  });

  it('no role carries a managed policy, and each function depends on its policy (VPC permissions exist at create)', () => {
    for (const r of Object.values(s.json.Resources)) {
      if (r.Type === 'AWS::IAM::Role') expect(r.Properties['ManagedPolicyArns']).toBeUndefined();
    }
    for (const spec of FUNCTIONS) {
      const { dependsOn } = fnResource(spec.id);
      expect(dependsOn.some((d) => d.startsWith(`EfiFunctions${spec.id}RolePolicy`))).toBe(true);
    }
  });

  it('passes each function only the settings it needs', () => {
    const base = [
      'NODE_OPTIONS',
      'NODE_EXTRA_CA_CERTS',
      'EFI_CONFIG_DB_SECRET_ARN',
      'EFI_TIMEZONE',
      'EFI_METRIC_NAMESPACE',
    ];
    const storage = [
      'EFI_OBJECT_STORE',
      'EFI_BUCKET',
      'EFI_LANDING_PREFIX',
      'EFI_PROCESSING_PREFIX',
      'EFI_ARCHIVE_PREFIX',
      'EFI_REJECTED_PREFIX',
    ];
    const warehouse = [
      'EFI_WAREHOUSE',
      'EFI_REDSHIFT_CLUSTER_ID',
      'EFI_REDSHIFT_DATABASE',
      'EFI_REDSHIFT_DB_USER',
      'EFI_COPY_ROLE_ARN',
      'EFI_POLL_FIRST_WAIT_SECONDS',
      'EFI_POLL_MAX_WAIT_SECONDS',
      'EFI_POLL_MAX_POLLS',
    ];
    const notifier = ['EFI_NOTIFIER', 'EFI_SNS_TOPIC_ARN', 'EFI_EVENT_BUS_NAME'];
    const expected: Record<string, string[]> = {
      FetchConfig: [...base, ...storage],
      ValidateFile: [...base, ...storage],
      Preprocess: [...base, ...storage],
      SubmitLoad: [...base, ...storage, ...warehouse],
      CheckLoad: [...base, ...storage, ...warehouse],
      // The transform renders the run's s3:// source URI for :source_file (no S3 access).
      SubmitTransform: [...base, ...storage, ...warehouse],
      CheckTransform: [...base, ...storage, ...warehouse],
      Archive: [...base, ...storage],
      RejectFile: [...base, ...storage],
      Audit: base,
      Notify: [...base, ...notifier],
      // Cancels a stopped execution's statement and reads what committed (docs/truth-model.md rows 7-8).
      ReportFailure: [...base, ...notifier, ...warehouse],
    };
    for (const [id, keys] of Object.entries(expected)) {
      const env = (fnResource(id).props['Environment'] as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(env).sort(), id).toEqual([...keys].sort());
      expect(env['EFI_CONFIG_DB_SECRET_ARN']).toBe(CONFIG_SECRET);
      expect(env['NODE_OPTIONS']).toBe('--enable-source-maps');
    }
    const wh = (fnResource('SubmitLoad').props['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(wh).toMatchObject({
      EFI_WAREHOUSE: 'redshift',
      EFI_REDSHIFT_CLUSTER_ID: 'efi-sample-cluster',
      EFI_REDSHIFT_DATABASE: 'dev',
      EFI_REDSHIFT_DB_USER: 'efi_loader',
      EFI_COPY_ROLE_ARN: SAMPLE_CONTEXT['copyRoleArn'],
    });
  });
});

describe('least-privilege IAM, statement by statement', () => {
  const bucket = () => `<${logicalIdOf(s, s.stack.efi.bucket)}.Arn>`;
  const objects = (prefix: string) => `${bucket()}/${prefix}*`;

  function common(id: string): FlatStatement[] {
    const logGroupId = logicalIdOf(s, s.stack.efi.functions[id]!.logGroup);
    return [
      { sid: 'ConfigDbSecret', actions: ['secretsmanager:GetSecretValue'], resources: [CONFIG_SECRET] },
      {
        sid: 'VpcNetworkInterfaces',
        actions: [
          'ec2:AssignPrivateIpAddresses',
          'ec2:CreateNetworkInterface',
          'ec2:DeleteNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      },
      {
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`<${logGroupId}.Arn>`],
      },
      { sid: 'XRayTraces', actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] },
    ];
  }
  const read = (...prefixes: string[]) => ({
    sid: 'ReadObjects',
    actions: ['s3:GetObject'],
    resources: prefixes.map(objects).sort(),
  });
  const write = (prefix: string) => ({
    sid: 'WriteObjects',
    actions: ['s3:AbortMultipartUpload', 's3:PutObject'],
    resources: [objects(prefix)],
  });
  const del = (...prefixes: string[]) => ({
    sid: 'DeleteObjects',
    actions: ['s3:DeleteObject'],
    resources: prefixes.map(objects).sort(),
  });
  const list = () => ({ sid: 'ListBucket', actions: ['s3:ListBucket'], resources: [bucket()] });
  const warehouse = (): FlatStatement[] => {
    const owners = FUNCTIONS.filter((f) => f.needs.warehouse).map((f) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [roleIdOf(f.id), 'RoleId'] }, ':*']],
    }));
    return [
      {
        sid: 'ClusterCredentials',
        actions: ['redshift:GetClusterCredentials'],
        resources: [
          ACCOUNT_ARN('redshift', 'dbname:efi-sample-cluster/dev'),
          ACCOUNT_ARN('redshift', 'dbuser:efi-sample-cluster/efi_loader'),
        ],
      },
      {
        sid: 'PipelineStatementsOnly',
        actions: [
          'redshift-data:CancelStatement',
          'redshift-data:DescribeStatement',
          'redshift-data:GetStatementResult',
        ],
        resources: ['*'],
        condition: { StringLike: { 'redshift-data:statement-owner-iam-userid': owners } },
      },
      {
        sid: 'SubmitStatements',
        actions: ['redshift-data:BatchExecuteStatement', 'redshift-data:ExecuteStatement'],
        resources: [ACCOUNT_ARN('redshift', 'cluster:efi-sample-cluster')],
      },
    ];
  };
  const notifier = (): FlatStatement[] => [
    {
      sid: 'PublishStatus',
      actions: ['sns:Publish'],
      resources: [`<${logicalIdOf(s, s.stack.efi.topic)}>`],
    },
    {
      sid: 'PutStatusEvents',
      actions: ['events:PutEvents'],
      resources: [ACCOUNT_ARN('events', 'event-bus/default')],
    },
    {
      sid: 'TopicKey',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [`<${logicalIdOf(s, s.stack.efi.topic.masterKey!)}.Arn>`],
    },
  ];

  const cases: Record<string, () => FlatStatement[]> = {
    FetchConfig: () => [read('landing/'), list()],
    ValidateFile: () => [read('landing/')],
    Preprocess: () => [read('landing/'), write('processing/')],
    // SubmitLoad reads the part list and heads an original loaded in place; CheckLoad reads (to locate a
    // refused row, and resubmits as SubmitLoad): neither writes processing/.
    SubmitLoad: () => [...warehouse(), read('landing/', 'processing/')],
    CheckLoad: () => [...warehouse(), read('landing/', 'processing/')],
    SubmitTransform: () => warehouse(),
    CheckTransform: () => warehouse(),
    Archive: () => [read('landing/'), write('archive/'), del('landing/', 'processing/'), list()],
    RejectFile: () => [read('landing/'), write('rejected/'), del('landing/', 'processing/'), list()],
    Audit: () => [],
    Notify: () => notifier(),
    ReportFailure: () => [
      ...notifier(),
      ...warehouse(),
      {
        sid: 'AsyncFailureToDlq',
        actions: ['sqs:SendMessage'],
        resources: [`<${logicalIdOf(s, s.stack.efi.deadLetterQueue)}.Arn>`],
      },
    ],
  };
  for (const [id, extra] of Object.entries(cases)) {
    it(`${id}: exactly its own actions on its own resources`, () => {
      const expected = [...common(id), ...extra()].sort((a, b) => String(a.sid).localeCompare(String(b.sid)));
      expect(statementsOfRole(s, roleIdOf(id))).toEqual(expected);
    });
  }

  it('the state machine invokes exactly the eleven task functions, unqualified', () => {
    const smRole = logicalIdOf(s, s.stack.efi.stateMachine.role);
    const invoke = statementsOfRole(s, smRole).find((x) => x.sid === 'InvokeStateFunctions')!;
    const tasks = FUNCTIONS.filter((f) => f.placeholder).map(
      (f) => `<${logicalIdOf(s, s.stack.efi.functions[f.id]!)}.Arn>`,
    );
    expect(invoke.actions).toEqual(['lambda:InvokeFunction']);
    expect(invoke.resources).toEqual(tasks.sort());
    expect(statementsOfRole(s, smRole).flatMap((x) => x.actions)).not.toContain('lambda:*');
  });

  it('the arrival rule role may only start this state machine', () => {
    const rule = Object.values(s.json.Resources).find(
      (r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties).includes('aws.s3'),
    )!;
    const target = (rule.Properties['Targets'] as { RoleArn: { 'Fn::GetAtt': [string] } }[])[0]!;
    expect(statementsOfRole(s, target.RoleArn['Fn::GetAtt'][0])).toEqual([
      {
        sid: undefined,
        actions: ['states:StartExecution'],
        resources: [`<${logicalIdOf(s, s.stack.efi.stateMachine)}>`],
      },
    ]);
  });
});

describe('state machine', () => {
  it('is Standard, logs ALL with execution data to a KMS-encrypted log group, and traces', () => {
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    const sm = Object.values(s.json.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    const lg = (
      sm.Properties['LoggingConfiguration'] as {
        Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string] } } }[];
      }
    ).Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    const logGroup = s.json.Resources[lg]!;
    expect(logGroup.Properties['KmsKeyId']).toBeDefined();
    expect(logGroup.Properties['RetentionInDays']).toBe(90);
  });

  it('every placeholder of the ASL file renders to the ARN of its own function, none left over', () => {
    const sm = Object.values(s.json.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    const key = (sm.Properties['DefinitionS3Location'] as { Key: string }).Key;
    const asset = readFileSync(path.join(s.outdir, `asset.${key}`), 'utf8');
    expect(asset).toBe(readFileSync(DEFINITION_FILE, 'utf8'));
    const subs = sm.Properties['DefinitionSubstitutions'] as Record<string, { 'Fn::GetAtt': [string, string] }>;
    // Render as CloudFormation does, with each ARN spelled as its function's logical id.
    const rendered = asset.replace(/\$\{([A-Za-z0-9]+)\}/g, (_m, name: string) => {
      const sub = subs[name];
      if (!sub) throw new Error(`no substitution for \${${name}}`);
      return `arn:function:${sub['Fn::GetAtt'][0]}`;
    });
    expect(rendered).not.toContain('${');
    const definition = JSON.parse(rendered) as { States: Record<string, { Type: string; Resource?: string }> };
    const byState: Record<string, string> = {
      FetchConfig: 'FetchConfig',
      ValidateFile: 'ValidateFile',
      Preprocess: 'Preprocess',
      UseOriginalFile: 'Preprocess',
      SubmitLoad: 'SubmitLoad',
      CheckLoad: 'CheckLoad',
      SubmitTransform: 'SubmitTransform',
      CheckTransform: 'CheckTransform',
      Archive: 'Archive',
      ArchiveDuplicate: 'Archive',
      RejectFile: 'RejectFile',
      Audit: 'Audit',
      AuditRejection: 'Audit',
      AuditSkipped: 'Audit',
      Notify: 'Notify',
      NotifyRejection: 'Notify',
      NotifySkipped: 'Notify',
    };
    const tasks = Object.entries(definition.States).filter(([, st]) => st.Type === 'Task');
    expect(tasks.map(([n]) => n).sort()).toEqual(Object.keys(byState).sort());
    for (const [name, st] of tasks) {
      expect(st.Resource, name).toBe(`arn:function:${logicalIdOf(s, s.stack.efi.functions[byState[name]!]!)}`);
      expect(s.json.Resources[st.Resource!.slice('arn:function:'.length)]!.Type).toBe('AWS::Lambda::Function');
    }
    expect(Object.keys(subs).sort()).toEqual(FUNCTIONS.flatMap((f) => (f.placeholder ? [f.placeholder] : [])).sort());
  });
});

describe('event rules', () => {
  it('S3 Object Created under the landing prefix of this bucket starts the state machine, with DLQ and retries', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: logicalIdOf(s, s.stack.efi.bucket) }] },
          object: { key: [{ prefix: 'landing/' }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: logicalIdOf(s, s.stack.efi.stateMachine) },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(s, s.stack.efi.deadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 10 },
        }),
      ],
    });
  });

  it("this state machine's FAILED, TIMED_OUT and ABORTED executions go to report-failure", () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: logicalIdOf(s, s.stack.efi.stateMachine) }],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf(s, s.stack.efi.functions['ReportFailure']!), 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  it('the S3 bucket sends its events to EventBridge natively (no notifications custom resource)', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    s.template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });
});

describe('alarms, encryption and storage', () => {
  it('alarms operational failures only: efi StateFailures kind=operational, executions failed less rejected files, timed out, DLQ', () => {
    const topic = { Ref: logicalIdOf(s, s.stack.efi.topic) };
    const namespace = s.stack.efi.metricNamespace;
    expect(namespace).toMatch(/^efi\//);
    // No alarm on Lambda Errors/Throttles: a rejected file and a retried transient error are normal operation.
    s.template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    expect(JSON.stringify(s.template.findResources('AWS::CloudWatch::Alarm'))).not.toMatch(/AWS\/Lambda/);
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StateFailures',
      Namespace: namespace,
      Dimensions: [{ Name: 'kind', Value: 'operational' }],
      Threshold: 1,
      Period: 300,
      AlarmActions: [topic],
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(failed, 0) - FILL(rejected, 0)' }),
        Match.objectLike({
          Id: 'failed',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' }),
          }),
        }),
        Match.objectLike({
          Id: 'rejected',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              MetricName: 'StateFailures',
              Dimensions: [{ Name: 'kind', Value: 'rejected' }],
            }),
            Period: 900,
          }),
        }),
      ]),
      AlarmActions: [topic],
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsTimedOut',
      AlarmActions: [topic],
    });
    // The functions write the metric to that namespace, and the warehouse functions get the poll policy.
    const namespaced = s.template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ EFI_METRIC_NAMESPACE: namespace }) } },
    });
    expect(Object.keys(namespaced)).toHaveLength(FUNCTIONS.length);
    const polled = s.template.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: { Variables: Match.objectLike({ EFI_POLL_MAX_POLLS: '150', EFI_POLL_MAX_WAIT_SECONDS: '300' }) },
      },
    });
    expect(Object.keys(polled)).toHaveLength(FUNCTIONS.filter((f) => f.needs.warehouse).length);
  });

  it('topic KMS-encrypted and TLS-only; keys rotate; DLQ encrypted', () => {
    s.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(s, s.stack.efi.topic.masterKey!), 'Arn'] },
    });
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    s.template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    s.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('landing bucket: encrypted, no public access, TLS only, access logs, processing/ expires, multipart aborted', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'processing/', ExpirationInDays: 7, Status: 'Enabled' }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
        ]),
      },
    });
    s.template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    const bucketRef = logicalIdOf(s, s.stack.efi.bucket);
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketRef },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('every log group has a retention and a KMS key', () => {
    s.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90, KmsKeyId: Match.anyValue() });
  });

  it('outputs the names the CLI reads', () => {
    for (const name of ['StateMachineArn', 'BucketName', 'TopicArn', 'EventBusName', 'FunctionsSecurityGroupIds'])
      s.template.hasOutput(name, {});
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('leaves no unacknowledged finding in the validation report of the synthesized assembly', () => {
    const nag = s.validationReport.pluginReports.filter((r) => r.pluginName.includes('AwsSolutions'));
    const findings = nag.flatMap((r) => r.violations.map((v) => v.ruleName));
    expect(findings).toEqual([]);
    // Other validators (CloudFormation Validate) must not report anything either.
    expect(s.validationReport.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });
});
