import { beforeEach, describe, expect, it } from 'vitest';
import type { StatusChangeEvent } from '../../functions/lib/contract/status-change-event.ts';
import { reportFailure } from '../../functions/lib/steps/report-failure.ts';
import { MemoryRunLog, RecordingNotifier } from '../support/fakes/index.ts';

const ARN = 'arn:aws:states:eu-west-1:1:execution:efi:run-1';

function statusChange(detail: Partial<StatusChangeEvent['detail']> = {}): StatusChangeEvent {
  return {
    detail: {
      executionArn: ARN,
      name: 'run-1',
      status: 'FAILED',
      startDate: Date.parse('2026-11-24T10:00:00.000Z'),
      input: JSON.stringify({ detail: { bucket: { name: 'bucket' }, object: { key: 'landing/in/a.csv' } } }),
      error: 'LoadFailed',
      cause: JSON.stringify({ errorType: 'LoadFailed', errorMessage: 'relation does not exist' }),
      redriveCount: 0,
      ...detail,
    },
  };
}

describe('reportFailure over in-memory ports', () => {
  let runs: MemoryRunLog;
  let notifier: RecordingNotifier;
  const ports = () => ({ runs, notifier });
  const register = () =>
    runs.register({
      runId: 'run-1',
      executionId: ARN,
      bucket: 'bucket',
      key: 'landing/in/a.csv',
      etag: 'e',
      size: 10,
      startedAt: '2026-11-24T10:00:00.000Z',
    });

  beforeEach(() => {
    runs = new MemoryRunLog();
    notifier = new RecordingNotifier();
  });

  it('closes a FAILED execution’s run as FAILED with the error of the event, and notifies once', async () => {
    await register();
    expect(await reportFailure(statusChange(), ports())).toEqual({ runId: 'run-1', notified: true });
    const run = (await runs.get('run-1'))!;
    expect(run).toMatchObject({ status: 'FAILED', notified: 'FAILED:0' });
    expect(run.finishedAt).not.toBeNull();
    expect(run.error).toMatchObject({ name: 'LoadFailed', message: 'relation does not exist', state: 'execution' });
    expect(notifier.sent.map((n) => n.status)).toEqual(['FAILED']);
    // The same event delivered twice tells nobody twice.
    expect(await reportFailure(statusChange(), ports())).toEqual({ runId: 'run-1', notified: false });
    expect(notifier.sent).toHaveLength(1);
  });

  it('keeps the located error the failing state recorded', async () => {
    await register();
    await runs.recordError('run-1', { name: 'LoadFailed', message: 'at line 3', line: 3 }, 'CheckLoad');
    await reportFailure(statusChange(), ports());
    expect((await runs.get('run-1'))!.error).toMatchObject({ message: 'at line 3', line: 3, state: 'CheckLoad' });
  });

  it('closes an ABORTED execution’s run as ABORTED', async () => {
    await register();
    await reportFailure(statusChange({ status: 'ABORTED', error: null, cause: null }), ports());
    expect(await runs.get('run-1')).toMatchObject({ status: 'ABORTED', error: null, notified: 'ABORTED:0' });
  });

  it('records a TIMED_OUT execution as FAILED, saying it timed out', async () => {
    await register();
    await reportFailure(
      statusChange({ status: 'TIMED_OUT', error: 'States.Timeout', cause: 'no answer in 300 s' }),
      ports(),
    );
    const run = (await runs.get('run-1'))!;
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatchObject({ name: 'States.Timeout', message: 'execution timed out: no answer in 300 s' });
  });

  it('registers a run that failed before FetchConfig registered it, from the execution input', async () => {
    const out = await reportFailure(statusChange({ error: 'InvalidStateInput', cause: 'bad input' }), ports());
    expect(out).toEqual({ runId: 'run-1', notified: true });
    expect(await runs.get('run-1')).toMatchObject({
      executionId: ARN,
      bucket: 'bucket',
      key: 'landing/in/a.csv',
      status: 'FAILED',
      startedAt: '2026-11-24T10:00:00.000Z',
      error: { name: 'InvalidStateInput', message: 'bad input' },
    });
  });

  it('registers an unreadable input as bucket and key "unknown"', async () => {
    await reportFailure(statusChange({ input: 'not json' }), ports());
    expect(await runs.get('run-1')).toMatchObject({ bucket: 'unknown', key: 'unknown' });
  });

  it('leaves a run the rejection path already closed as it is, and does not notify it again', async () => {
    await register();
    await runs.recordError('run-1', { name: 'HeaderMismatch', message: 'bad header', line: 1 }, 'ValidateFile');
    await runs.update('run-1', { status: 'FAILED', redriveCount: 0, notified: 'FAILED:0', finished: true });
    const before = await runs.get('run-1');
    const out = await reportFailure(
      statusChange({ error: 'States.TaskFailed', cause: 'FileRejected', redriveCount: 0 }),
      ports(),
    );
    expect(out).toEqual({ runId: 'run-1', notified: false });
    expect(await runs.get('run-1')).toEqual(before);
    expect(notifier.sent).toEqual([]);
  });

  it('notifies again for the failure of a redriven execution', async () => {
    await register();
    await reportFailure(statusChange(), ports());
    await reportFailure(statusChange({ redriveCount: 1 }), ports());
    expect((await runs.get('run-1'))!.notified).toBe('FAILED:1');
    expect(notifier.sent).toHaveLength(2);
  });
});
