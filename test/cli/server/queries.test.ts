import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../../cli/local/definition.ts';
import { type ExecutionEvent, foldVisits, redrivable } from '../../../cli/server/queries.ts';

let seq = 0;
const ev = (type: string, state: string | null, extra: Partial<ExecutionEvent> = {}): ExecutionEvent => ({
  seq: ++seq,
  redriveCount: 0,
  type,
  state,
  input: null,
  output: null,
  error: null,
  cause: null,
  at: new Date(Date.UTC(2026, 11, 1, 10, 0, 0, seq * 10)).toISOString(),
  ...extra,
});

describe('the console’s view of an execution history', () => {
  const events = [
    ev('ExecutionStarted', null),
    ev('StateEntered', 'FetchConfig'),
    // As the runner logs a retry: the failed attempt, then the next one.
    ev('StateFailed', 'FetchConfig', { error: 'EfiTransient', cause: 'connection reset' }),
    ev('StateRetried', 'FetchConfig', { error: 'EfiTransient', cause: 'connection reset' }),
    ev('StateExited', 'FetchConfig'),
    ev('StateEntered', 'IsDuplicate'),
    ev('StateExited', 'IsDuplicate'),
    ev('StateEntered', 'ValidateFile'),
    ev('StateFailed', 'ValidateFile', { error: 'HeaderMismatch', cause: 'line 1' }),
    ev('StateCaught', 'ValidateFile', { error: 'HeaderMismatch' }),
    ev('StateExited', 'ValidateFile'),
    ev('StateEntered', 'RejectFile'),
    ev('StateExited', 'RejectFile'),
    ev('StateEntered', 'FileRejected'),
    ev('StateFailed', 'FileRejected', { error: 'FileRejected' }),
    ev('ExecutionFailed', null),
  ];

  it('folds events into visits with status, duration, retries and the error', () => {
    const { visits, transitions } = foldVisits(events);
    expect(visits.map((v) => [v.state, v.status, v.retries])).toEqual([
      ['FetchConfig', 'SUCCEEDED', 1],
      ['IsDuplicate', 'SUCCEEDED', 0],
      ['ValidateFile', 'CAUGHT', 0],
      ['RejectFile', 'SUCCEEDED', 0],
      ['FileRejected', 'FAILED', 0],
    ]);
    expect(visits[2]).toMatchObject({ error: 'HeaderMismatch', cause: 'line 1', durationMs: 30 });
    expect(transitions).toContainEqual(['ValidateFile', 'RejectFile']);
  });

  it('says a rejected file cannot be redriven, and why', () => {
    expect(redrivable('FAILED', events, 0, loadDefinition())).toMatchObject({ ok: false, state: 'FileRejected' });
  });

  it('offers a redrive from the state an operational failure stopped in, and none for a finished run', () => {
    const failed = [ev('StateEntered', 'CheckLoad'), ev('StateFailed', 'CheckLoad', { error: 'LoadFailed' })];
    expect(redrivable('FAILED', failed, 0, loadDefinition())).toEqual({
      ok: true,
      reason: 'resumes at CheckLoad',
      state: 'CheckLoad',
    });
    expect(redrivable('SUCCEEDED', failed, 0, loadDefinition()).ok).toBe(false);
    // Only the latest attempt counts: after a redrive that failed again elsewhere, resume there.
    const again = [...failed, ev('StateEntered', 'Archive', { redriveCount: 1 })];
    expect(redrivable('ABORTED', again, 1, loadDefinition()).state).toBe('Archive');
  });

  it('offers a run whose process died after a completed state the same redrive as the runner: after that state', () => {
    const died = [
      ev('StateEntered', 'SubmitLoad'),
      ev('StateExited', 'SubmitLoad', { output: { load: { statementId: 's' } } }),
      ev('ExecutionFailed', null, { error: 'ProcessDied', cause: 'the process running this execution died' }),
    ];
    expect(redrivable('FAILED', died, 0, loadDefinition())).toEqual({
      ok: true,
      reason: 'resumes at WaitForLoad',
      state: 'WaitForLoad',
    });
    // Any other failure after a completed state has nothing to resume.
    const other = [...died.slice(0, 2), ev('ExecutionFailed', null, { error: 'States.Runtime' })];
    expect(redrivable('FAILED', other, 0, loadDefinition()).ok).toBe(false);
  });
});
