import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AlarmThreshold, EfiAlarmOptions } from './props.ts';

export interface EfiAlarmsProps {
  topic: ITopic;
  stateMachine: IStateMachine;
  functions: Record<string, IFunction>;
  deadLetterQueue: IQueue;
  /** Namespace of the StateFailures metric (functions/lib/failure-metric.ts). */
  metricNamespace: string;
  options: EfiAlarmOptions;
}

/** Same name as functions/lib/failure-metric.ts FAILURE_METRIC. */
const FAILURE_METRIC = 'StateFailures';

/**
 * Alarms for what needs an operator, not for normal operation: a rejected
 * file (its sender is notified) and a transient error that a Retry absorbed
 * are not alarms. Lambda's own Errors metric counts both (content errors are
 * thrown so the ASL Catch can route them), so the alarms read efi's
 * StateFailures metric by kind instead. Missing data (no traffic) is fine.
 */
export class EfiAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: EfiAlarmsProps) {
    super(scope, id);
    const action = new SnsAction(props.topic);
    const o = props.options;
    const add = (
      alarmId: string,
      knobs: AlarmThreshold | undefined,
      dflt: number,
      build: (p: Duration) => IMetric,
      description: string,
    ) => {
      const period = Duration.minutes(knobs?.periodMinutes ?? dflt);
      const alarm = new Alarm(this, alarmId, {
        metric: build(period),
        threshold: knobs?.threshold ?? 1,
        evaluationPeriods: knobs?.evaluationPeriods ?? 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };
    const failures = (kind: 'operational' | 'rejected', period: Duration) =>
      new Metric({
        namespace: props.metricNamespace,
        metricName: FAILURE_METRIC,
        dimensionsMap: { kind },
        statistic: 'Sum',
        period,
      });

    add(
      'OperationalFailures',
      o.operationalFailures,
      5,
      (period) => failures('operational', period),
      'An efi state failed for an operational reason (missing table, permissions, config, statement still running): fix it, then redrive the run (efi redrive).',
    );
    add(
      'ExecutionsFailed',
      o.executionsFailed,
      15,
      (period) =>
        new MathExpression({
          expression: 'FILL(failed, 0) - FILL(rejected, 0)',
          usingMetrics: {
            failed: props.stateMachine.metricFailed({ period, statistic: 'Sum' }),
            rejected: failures('rejected', period),
          },
          period,
          label: 'Executions failed, rejected files excluded',
        }),
      'efi executions failed other than by a rejected file (e.g. a task timeout or Lambda service errors after the retries): read the execution, then redrive.',
    );
    add(
      'ExecutionsTimedOut',
      o.executionsTimedOut,
      5,
      (period) => props.stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
      'efi executions timed out (24 h): a load or transform never finished; check the Redshift statement, then redrive.',
    );
    add(
      'EventsDeadLettered',
      o.eventsDeadLettered,
      5,
      (period) => props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      'EventBridge could not deliver an efi event (file arrival or failure report): read the dead-letter queue and replay.',
    );
  }
}
