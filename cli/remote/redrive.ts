import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  RedriveExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { errorKindOf } from '../../functions/lib/errors.ts';
import { RemoteRedriveRefused, remoteError } from './errors.ts';

/** The Fail state a rejected file ends in (statemachine/efi.asl.json). */
const REJECTED_END = 'FileRejected';

/**
 * RedriveExecution: resume a FAILED, ABORTED or TIMED_OUT execution at the
 * state that failed. Refuses, saying why, what Step Functions would refuse
 * (running, succeeded, older than 14 days...) and what redrive cannot fix (a
 * rejected file: the remedy is a corrected file).
 */
export async function redriveRemote(client: SFNClient, executionArn: string): Promise<{ redriveDate: string }> {
  let ex: DescribeExecutionCommandOutput;
  try {
    ex = await client.send(new DescribeExecutionCommand({ executionArn }));
  } catch (e) {
    const err = remoteError(e, `DescribeExecution ${executionArn}`);
    if (err.name === 'RunNotFound') throw new RemoteRedriveRefused(err.message);
    throw err;
  }
  const name = ex.name ?? executionArn;
  if (ex.status === 'RUNNING' || ex.status === 'PENDING_REDRIVE') {
    throw new RemoteRedriveRefused(
      `run ${name} is ${ex.status}: wait for it to end; only FAILED, ABORTED or TIMED_OUT runs can be redriven`,
    );
  }
  if (ex.status === 'SUCCEEDED') {
    throw new RemoteRedriveRefused(
      `run ${name} SUCCEEDED: there is nothing to resume; to load the same file again, upload it again (the duplicate check skips identical content unless the config says reload)`,
    );
  }
  if (ex.error && (ex.error === REJECTED_END || errorKindOf(ex.error) === 'rejected')) {
    throw new RemoteRedriveRefused(
      `run ${name} ended because the file was rejected (${ex.error}); redrive would reject it again. Send a corrected file (efi show ${name} says what was wrong)`,
    );
  }
  if (ex.redriveStatus === 'NOT_REDRIVABLE') {
    throw new RemoteRedriveRefused(
      `run ${name} cannot be redriven: ${ex.redriveStatusReason ?? 'Step Functions gives no reason'}` +
        (/period exceeded|max execution time|history event limit/i.test(ex.redriveStatusReason ?? '')
          ? '. Upload the file again to start a new run'
          : ''),
    );
  }
  try {
    const r = await client.send(new RedriveExecutionCommand({ executionArn }));
    return { redriveDate: (r.redriveDate ?? new Date()).toISOString() };
  } catch (e) {
    const code = (e as { name?: string } | null)?.name;
    if (code === 'ExecutionNotRedrivable') {
      throw new RemoteRedriveRefused(
        `run ${name} cannot be redriven: ${(e as Error).message}. Executions can be redriven within 14 days of failing, ` +
          'if they did not succeed and their history is under 25,000 events; otherwise upload the file again',
      );
    }
    if (code === 'ExecutionLimitExceeded') {
      throw new RemoteRedriveRefused(
        `run ${name} was not redriven: the account's limit of open executions is reached (${(e as Error).message}); try again when some finish`,
      );
    }
    throw remoteError(e, `RedriveExecution ${executionArn}`);
  }
}
