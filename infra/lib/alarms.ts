import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface EfiAlarmsProps {
  topic: ITopic;
  stateMachine: IStateMachine;
  functions: Record<string, IFunction>;
  deadLetterQueue: IQueue;
}

/**
 * Any occurrence is worth a look, so every alarm fires on a single event in
 * five minutes and missing data (no traffic) is fine.
 */
export class EfiAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: EfiAlarmsProps) {
    super(scope, id);
    const action = new SnsAction(props.topic);
    const add = (alarmId: string, metric: IMetric, description: string) => {
      const alarm = new Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };
    const period = Duration.minutes(5);
    add(
      'ExecutionsFailed',
      props.stateMachine.metricFailed({ period, statistic: 'Sum' }),
      'efi executions failed: a rejected file (see its notification) or an operational failure to fix and redrive.',
    );
    add(
      'ExecutionsTimedOut',
      props.stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
      'efi executions timed out (24 h): a load or transform never finished; check the Redshift statement, then redrive.',
    );
    for (const [name, fn] of Object.entries(props.functions)) {
      add(`${name}Errors`, fn.metricErrors({ period, statistic: 'Sum' }), `efi ${name} function errors.`);
      add(`${name}Throttles`, fn.metricThrottles({ period, statistic: 'Sum' }), `efi ${name} function throttles.`);
    }
    add(
      'EventsDeadLettered',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      'EventBridge could not deliver an efi event (file arrival or failure report): read the dead-letter queue and replay.',
    );
  }
}
