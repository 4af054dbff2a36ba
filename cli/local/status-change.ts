import type { StatusChangeEvent } from '../../functions/lib/contract/status-change-event.ts';
import { STATUS_CHANGE_DETAIL_TYPE } from '../../functions/lib/contract/status-change-event.ts';

/** The local state machine's ARN (executions are `...:execution:efi:<name>`). */
export const LOCAL_STATE_MACHINE_ARN = 'arn:aws:states:local:000000000000:stateMachine:efi';

/**
 * What EventBridge delivers to report-failure when an execution ends
 * FAILED, TIMED_OUT or ABORTED, built from what the local runner knows.
 */
export function localStatusChangeEvent(x: {
  executionArn: string;
  name: string;
  status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  input: unknown;
  error: string | null;
  cause: string | null;
  startDate: Date;
  stopDate: Date;
  redriveCount: number;
}): StatusChangeEvent {
  return {
    version: '0',
    id: `local-${x.name}-${x.redriveCount}`,
    'detail-type': STATUS_CHANGE_DETAIL_TYPE,
    source: 'aws.states',
    account: '000000000000',
    time: x.stopDate.toISOString(),
    region: 'local',
    resources: [x.executionArn],
    detail: {
      executionArn: x.executionArn,
      stateMachineArn: LOCAL_STATE_MACHINE_ARN,
      name: x.name,
      status: x.status,
      startDate: x.startDate.getTime(),
      stopDate: x.stopDate.getTime(),
      input: JSON.stringify(x.input),
      output: null,
      error: x.error,
      cause: x.cause,
      redriveCount: x.redriveCount,
      redriveDate: null,
    },
  };
}
