import path from 'node:path';
import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type ISecurityGroup, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { EventBus, type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EfiAlarms } from './alarms.ts';
import { bundlingFor, REPO_ROOT } from './bundling.ts';
import { FUNCTIONS, type FunctionSpec } from './function-catalog.ts';
import { functionEnvironment } from './function-environment.ts';
import {
  assertArn,
  grantConfigDbSecret,
  grantLogs,
  grantNotifier,
  grantS3,
  grantTracing,
  grantVpcAccess,
  grantWarehouse,
} from './function-grants.ts';
import { FunctionRole, statement } from './function-role.ts';
import { LandingBucket } from './landing-bucket.ts';
import { acknowledge, acknowledgeWildcards } from './nag-acknowledgements.ts';
import {
  type EfiPrefixes,
  type ExternalFileIngestionProps,
  normalisePrefixes,
  normaliseStatementPolling,
  redshiftSecretArn,
} from './props.ts';

export const DEFINITION_FILE = path.join(REPO_ROOT, 'statemachine', 'efi.asl.json');

/**
 * The deployed efi pipeline: landing bucket, one Lambda per state with its own
 * least-privilege role, the Standard state machine from statemachine/efi.asl.json,
 * the arrival and failure rules, the status topic and the alarms.
 */
export class ExternalFileIngestion extends Construct {
  readonly prefixes: EfiPrefixes;
  readonly bucket: IBucket;
  readonly stateMachine: StateMachine;
  readonly topic: Topic;
  readonly eventBus: IEventBus;
  /** By construct id (FetchConfig, ValidateFile, ..., ReportFailure). */
  readonly functions: Record<string, NodejsFunction> = {};
  readonly deadLetterQueue: Queue;
  /** The functions' security groups (given, or the one created). */
  readonly securityGroups: ISecurityGroup[];
  readonly alarms: EfiAlarms;
  /** CloudWatch namespace of the StateFailures metric the functions write. */
  readonly metricNamespace: string;

  constructor(scope: Construct, id: string, props: ExternalFileIngestionProps) {
    super(scope, id);
    assertArn(props.copyRoleArn, 'iam', 'copyRoleArn');
    if (props.copyRoleArn.includes(',')) {
      // COPY's IAM_ROLE reads a comma as the separator of a role chain (Management Guide: Chaining IAM roles).
      throw new Error(
        `copyRoleArn must be one IAM role ARN whose name has no comma (Redshift COPY would read the comma as a role chain), got ${JSON.stringify(props.copyRoleArn)}`,
      );
    }
    assertArn(props.configDbSecretArn, 'secretsmanager', 'configDbSecretArn');
    const rsSecret = redshiftSecretArn(props.redshift);
    if (rsSecret) assertArn(rsSecret, 'secretsmanager', 'redshift.secretArn');

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.logRetention ?? RetentionDays.THREE_MONTHS;
    this.prefixes = normalisePrefixes(props.prefixes);

    const landing = new LandingBucket(this, 'Landing', { ...props.bucket, prefixes: this.prefixes, removalPolicy });
    this.bucket = landing.bucket;

    const logsKey = new Key(this, 'LogsKey', {
      enableKeyRotation: true,
      description: 'efi: encrypts the state machine and function log groups',
      removalPolicy,
    });
    logsKey.grantEncryptDecrypt(new ServicePrincipal(`logs.${Stack.of(this).region}.amazonaws.com`));

    const topicKey = new Key(this, 'TopicKey', {
      enableKeyRotation: true,
      description: 'efi: encrypts the status topic',
      removalPolicy,
    });
    // Alarm actions publish to the topic as CloudWatch, which must use the key.
    topicKey.grantEncryptDecrypt(new ServicePrincipal('cloudwatch.amazonaws.com'));
    this.topic = new Topic(this, 'StatusTopic', {
      masterKey: topicKey,
      enforceSSL: true,
      displayName: 'efi file status',
    });

    const busName = props.eventBusName ?? 'default';
    this.eventBus = props.createEventBus
      ? new EventBus(this, 'StatusBus', { eventBusName: busName })
      : EventBus.fromEventBusName(this, 'StatusBus', busName);

    const securityGroups: ISecurityGroup[] = props.securityGroups ?? [
      new SecurityGroup(this, 'FunctionsSecurityGroup', {
        vpc: props.vpc,
        description: 'efi functions: egress to the config database and AWS endpoints, no ingress',
        allowAllOutbound: true,
      }),
    ];

    this.securityGroups = securityGroups;

    this.metricNamespace = props.metricNamespace ?? `efi/${Names.uniqueId(this)}`;
    const envInputs = {
      bucketName: this.bucket.bucketName,
      prefixes: this.prefixes,
      redshift: props.redshift,
      copyRoleArn: props.copyRoleArn,
      configDbSecretArn: props.configDbSecretArn,
      topicArn: this.topic.topicArn,
      eventBusName: this.eventBus.eventBusName,
      timeZone: props.timeZone ?? 'UTC',
      polling: normaliseStatementPolling(props.statementPolling),
      metricNamespace: this.metricNamespace,
    };

    this.deadLetterQueue = new Queue(this, 'EventsDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    acknowledge(
      this.deadLetterQueue,
      'This queue is itself the dead-letter queue of the EventBridge targets; it is alarmed, not redriven to another queue.',
      'AwsSolutions-SQS3',
    );
    const functionsScope = new Construct(this, 'Functions');
    const roles = Object.fromEntries(FUNCTIONS.map((f) => [f.id, new FunctionRole(functionsScope, `${f.id}Role`)]));
    // One function submits a statement and another polls it: each may see what any warehouse role submitted.
    const statementOwnerRoleIds = FUNCTIONS.filter((f) => f.needs.warehouse).map((f) => roles[f.id]!.role.roleId);
    for (const spec of FUNCTIONS) {
      this.functions[spec.id] = this.createFunction(functionsScope, spec, roles[spec.id]!, {
        props,
        statementOwnerRoleIds,
        securityGroups,
        retention,
        removalPolicy,
        logsKey,
        topicKey,
        environment: functionEnvironment(spec.needs, envInputs),
      });
    }

    // EventBridge hands the failure event over asynchronously: if report-failure still fails
    // after Lambda's own retries, keep the event in the dead-letter queue rather than lose it.
    const reportFailure = this.functions['ReportFailure']!;
    roles['ReportFailure']!.allow(statement('AsyncFailureToDlq', ['sqs:SendMessage'], [this.deadLetterQueue.queueArn]));
    reportFailure.configureAsyncInvoke({ onFailure: new SqsDestination(this.deadLetterQueue), retryAttempts: 2 });

    this.stateMachine = this.createStateMachine(retention, removalPolicy, logsKey);

    const delivery = { deadLetterQueue: this.deadLetterQueue, retryAttempts: 10, maxEventAge: Duration.hours(6) };

    new Rule(this, 'FileArrivedRule', {
      description: 'efi: a file landed under the landing prefix: start one execution for it',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [this.bucket.bucketName] }, object: { key: [{ prefix: this.prefixes.landing }] } },
      },
      targets: [new SfnStateMachine(this.stateMachine, delivery)],
    });

    new Rule(this, 'ExecutionFailedRule', {
      description: 'efi: an execution failed, timed out or was aborted: audit and notify it (the run stays redrivable)',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [new LambdaFunction(reportFailure, delivery)],
    });

    if (props.manageCopyRolePolicy) this.grantCopyRole(props.copyRoleArn);

    this.alarms = new EfiAlarms(this, 'Alarms', {
      topic: this.topic,
      stateMachine: this.stateMachine,
      functions: this.functions,
      deadLetterQueue: this.deadLetterQueue,
      metricNamespace: this.metricNamespace,
      options: props.alarms ?? {},
    });
  }

  private createFunction(
    scope: Construct,
    spec: FunctionSpec,
    role: FunctionRole,
    x: {
      props: ExternalFileIngestionProps;
      statementOwnerRoleIds: string[];
      securityGroups: ISecurityGroup[];
      retention: RetentionDays;
      removalPolicy: RemovalPolicy;
      logsKey: Key;
      topicKey: Key;
      environment: Record<string, string>;
    },
  ): NodejsFunction {
    const tracing = x.props.functionTracing ?? true;
    const logGroup = new LogGroup(scope, `${spec.id}Logs`, {
      retention: x.retention,
      encryptionKey: x.logsKey,
      removalPolicy: x.removalPolicy,
    });
    grantLogs(role, logGroup.logGroupArn);
    grantVpcAccess(role);
    if (tracing) grantTracing(role);
    grantConfigDbSecret(role, x.props.configDbSecretArn);
    grantS3(role, this.bucket, this.prefixes, spec.needs);
    if (spec.needs.warehouse) grantWarehouse(role, x.props.redshift, x.statementOwnerRoleIds);
    if (spec.needs.notifier) grantNotifier(role, this.topic, x.topicKey, this.eventBus);

    const fn = new NodejsFunction(scope, spec.id, {
      description: `efi ${spec.folder}`,
      entry: path.join(REPO_ROOT, 'functions', spec.folder, 'handler.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: spec.timeout,
      role: role.immutable,
      logGroup,
      tracing: tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      vpc: x.props.vpc,
      ...(x.props.vpcSubnets ? { vpcSubnets: x.props.vpcSubnets } : {}),
      securityGroups: x.securityGroups,
      environment: x.environment,
      bundling: bundlingFor(spec),
    });
    // Lambda checks the VPC permissions when it creates the function.
    fn.node.addDependency(role.policy);
    acknowledge(
      fn,
      'Node.js 22 is the runtime the bundles target (esbuild target node22) and are tested on; move with the project, not per function.',
      'AwsSolutions-L1',
    );
    return fn;
  }

  private createStateMachine(retention: RetentionDays, removalPolicy: RemovalPolicy, logsKey: Key): StateMachine {
    const logGroup = new LogGroup(this, 'StateMachineLogs', { retention, encryptionKey: logsKey, removalPolicy });
    const taskFunctions = FUNCTIONS.filter((f) => f.placeholder !== null);
    const definitionSubstitutions = Object.fromEntries(
      taskFunctions.map((f) => [f.placeholder!, this.functions[f.id]!.functionArn]),
    );
    const sm = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(DEFINITION_FILE),
      definitionSubstitutions,
      tracingEnabled: true,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
    // Unqualified ARNs only: the definition invokes $LATEST, so no ':*' version wildcard.
    sm.addToRolePolicy(
      new PolicyStatement({
        sid: 'InvokeStateFunctions',
        actions: ['lambda:InvokeFunction'],
        resources: taskFunctions.map((f) => this.functions[f.id]!.functionArn),
      }),
    );
    acknowledge(
      sm.role,
      'CloudWatch Logs delivery (CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) and X-Ray (PutTraceSegments, GetSamplingRules, ...) support no resource type; these are the statements Step Functions logging and tracing require.',
      'AwsSolutions-IAM5[Resource::*]',
    );
    return sm;
  }

  /** Redshift reads the original (loaded as is) or the prepared parts and manifests. */
  private grantCopyRole(copyRoleArn: string): void {
    const role = Role.fromRoleArn(this, 'CopyRole', copyRoleArn, { mutable: true });
    const p = this.prefixes;
    const read = statement(
      'CopyReadsFiles',
      ['s3:GetObject'],
      [this.bucket.arnForObjects(`${p.landing}*`), this.bucket.arnForObjects(`${p.processing}*`)],
    );
    const list = statement('CopyListsPrefixes', ['s3:ListBucket'], [this.bucket.bucketArn], {
      StringLike: { 's3:prefix': [`${p.landing}*`, `${p.processing}*`] },
    });
    const policy = new Policy(this, 'CopyRoleS3Read', { roles: [role], statements: [read, list] });
    acknowledgeWildcards(
      policy,
      read,
      'COPY reads per-file keys under the landing and processing prefixes; the prefixes are the narrowest stable scope.',
    );
  }
}
