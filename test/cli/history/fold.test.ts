import { describe, expect, it } from 'vitest';
import { type FoldEvent, foldExecution } from '../../../cli/history/fold.ts';
import { localFoldEvents } from '../../../cli/local/history.ts';
import type { StateStep } from '../../../cli/model.ts';
import { foldHistory } from '../../../cli/remote/history.ts';
import { failedAtCheckLoadThenRedriven, rejectedFile } from '../remote/fixtures/sfn-history.ts';
import { localFailedAtCheckLoad, localRedriven, localRejectedFile } from './fixtures/local-events.ts';

const FAIL_STATES = new Set(['FileRejected']);
const outline = (steps: StateStep[]) => steps.map((s) => [s.name, s.status, s.redriveCount, s.attempts, s.error]);

describe('foldExecution', () => {
  it('folds a local run that failed at CheckLoad into steps, and resumes from CheckLoad with its input', async () => {
    const rows = await localFailedAtCheckLoad();
    const folded = foldExecution(localFoldEvents(rows), { failStates: FAIL_STATES });
    const checkLoad = folded.steps.at(-1)!;
    expect(checkLoad).toMatchObject({ name: 'CheckLoad', status: 'FAILED', attempts: 2, error: 'LoadFailed' });
    expect(checkLoad.input).toMatchObject({ load: { statementId: 'st-1' } });
    expect(folded.resumeFrom).toBe(checkLoad);
    expect(folded.reason).toBe(checkLoad);
    expect(folded.redriveCount).toBe(0);
  });

  it('folds a local run and a Step Functions history of the same story into the same steps', async () => {
    const first = await localFailedAtCheckLoad();
    const resume = foldExecution(localFoldEvents(first)).resumeFrom!;
    const local = foldExecution(localFoldEvents([...first, ...(await localRedriven(resume.name, resume.input))]));
    const remote = foldHistory(failedAtCheckLoadThenRedriven().events);
    expect(outline(local.steps)).toEqual(outline(remote.steps));
    expect(local.steps.find((s) => s.name === 'CheckLoad')).toMatchObject({ status: 'FAILED', attempts: 2 });
    expect(local.redriveCount).toBe(1);
    expect(remote.redriveCount).toBe(1);
    // Finished: nothing to resume from.
    expect(local.resumeFrom).toBeNull();
    expect(remote.resumeFrom).toBeNull();
  });

  it('shows a caught rejection as CAUGHT, with the output of its catch, and takes the reason from it on both backends', async () => {
    const local = foldExecution(localFoldEvents(await localRejectedFile()), { failStates: FAIL_STATES });
    const remote = foldHistory(rejectedFile());
    expect(outline(local.steps)).toEqual(outline(remote.steps));
    const validate = local.steps.find((s) => s.name === 'ValidateFile')!;
    expect(validate).toMatchObject({ status: 'CAUGHT', error: 'TrailerMismatch' });
    expect(validate.output).toMatchObject({ error: { Error: 'TrailerMismatch' } });
    expect(local.reason).toBe(validate);
    expect(remote.reason?.name).toBe('ValidateFile');
    // A redrive would resume at the Fail state: the caller refuses that (the file must be corrected).
    expect(local.resumeFrom).toMatchObject({ name: 'FileRejected', status: 'FAILED', error: 'FileRejected' });
  });

  it('without the Fail states named, takes the reason from the last failure', async () => {
    const local = foldExecution(localFoldEvents(await localRejectedFile()));
    expect(local.reason?.name).toBe('FileRejected');
  });

  it('counts attempts: one per retry, and a retry that succeeds ends SUCCEEDED', () => {
    const events: FoldEvent[] = [
      { kind: 'entered', state: 'SubmitLoad', input: {}, at: null },
      { kind: 'attemptStarted', at: null },
      { kind: 'attemptFailed', error: 'EfiTransient', cause: null, at: null },
      { kind: 'attemptStarted', at: null },
      { kind: 'attemptFailed', error: 'EfiTransient', cause: null, at: null },
      { kind: 'attemptStarted', at: null },
    ];
    const { steps } = foldExecution(events);
    expect(steps).toMatchObject([{ name: 'SubmitLoad', status: 'RETRIED', attempts: 3, error: 'EfiTransient' }]);
    expect(
      foldExecution([...events, { kind: 'exited', state: 'SubmitLoad', output: { ok: 1 }, at: null }]).steps,
    ).toMatchObject([{ status: 'SUCCEEDED', attempts: 3 }]);
  });

  it('fails the open step of an aborted execution and resumes from it', () => {
    const { steps, reason, resumeFrom } = foldExecution([
      { kind: 'entered', state: 'FetchConfig', input: { a: 1 }, at: '2026-01-01T00:00:00.000Z' },
      { kind: 'exited', state: 'FetchConfig', output: { a: 2 }, at: '2026-01-01T00:00:01.000Z' },
      { kind: 'entered', state: 'ValidateFile', input: { a: 2 }, at: '2026-01-01T00:00:01.000Z' },
      { kind: 'executionAborted', error: null, cause: null, at: '2026-01-01T00:00:05.000Z' },
    ]);
    expect(steps[1]).toMatchObject({
      name: 'ValidateFile',
      status: 'FAILED',
      error: 'States.Aborted',
      cause: 'the execution was stopped',
      exitedAt: '2026-01-01T00:00:05.000Z',
    });
    expect(reason).toBeNull();
    expect(resumeFrom).toBe(steps[1]);
  });

  it('gives the steps after a redrive its count, and resumes only from the latest attempt', () => {
    const { steps, resumeFrom, redriveCount } = foldExecution([
      { kind: 'entered', state: 'CheckLoad', input: {}, at: null },
      { kind: 'attemptFailed', error: 'LoadFailed', cause: null, at: null },
      { kind: 'executionFailed', error: 'LoadFailed', cause: null, at: null },
      { kind: 'redriven', redriveCount: 1, at: null },
      { kind: 'entered', state: 'CheckLoad', input: {}, at: null },
      { kind: 'exited', state: 'CheckLoad', output: {}, at: null },
      { kind: 'redriven', at: null },
    ]);
    expect(steps.map((s) => [s.status, s.redriveCount])).toEqual([
      ['FAILED', 0],
      ['SUCCEEDED', 1],
    ]);
    expect(redriveCount).toBe(2);
    expect(resumeFrom).toBeNull();
  });
});

describe('localFoldEvents', () => {
  it('turns a change of the rows’ redrive count into a redrive, and reads StateRetried as a new attempt', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const row = { input: null, output: null, error: null, cause: null, at };
    const events = [
      ...localFoldEvents([
        { ...row, type: 'StateEntered', state_name: 'A', input: '{"x":1}', redrive_count: 1 },
        { ...row, type: 'StateFailed', state_name: 'A', error: 'EfiTransient', redrive_count: 1 },
        { ...row, type: 'StateRetried', state_name: 'A', redrive_count: 1 },
        { ...row, type: 'MapIterationStarted', state_name: null, redrive_count: 1 },
      ]),
    ];
    expect(events).toEqual([
      { kind: 'redriven', redriveCount: 1, at: at.toISOString() },
      { kind: 'entered', state: 'A', input: { x: 1 }, at: at.toISOString() },
      { kind: 'attemptFailed', state: 'A', error: 'EfiTransient', cause: null, at: at.toISOString() },
      { kind: 'attemptStarted', state: 'A', at: at.toISOString() },
    ]);
  });
});
