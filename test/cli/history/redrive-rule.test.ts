import { describe, expect, it } from 'vitest';
import { PROCESS_DIED, type RedriveSubject, redriveDecision, resumePoint } from '../../../cli/history/redrive-rule.ts';
import { loadDefinition, substitutePlaceholders } from '../../../cli/local/definition.ts';
import type { StateStep } from '../../../cli/model.ts';

const def = substitutePlaceholders(loadDefinition());
const step = (name: string, status: StateStep['status'], input: unknown, output: unknown = null): StateStep => ({
  name,
  status,
  input,
  output,
  enteredAt: null,
  exitedAt: null,
  error: null,
  cause: null,
  redriveCount: 0,
  attempts: 1,
});
/** An execution whose latest attempt folded to these steps; `resumeFrom` is its last step when that did not end. */
const execution = (status: string, steps: StateStep[], error: string | null = null): RedriveSubject => {
  const last = steps.at(-1);
  const ended = last && (last.status === 'SUCCEEDED' || last.status === 'CAUGHT');
  return { status, error, input: { detail: {} }, history: { steps, resumeFrom: last && !ended ? last : null } };
};

describe('redriveDecision: whether a local run may be redriven, and where it resumes', () => {
  it('resumes a failed, aborted or timed-out run at the state it stopped in, with that state’s input', () => {
    const steps = [
      step('SubmitLoad', 'SUCCEEDED', { a: 1 }, { a: 1, load: {} }),
      step('CheckLoad', 'FAILED', { b: 2 }),
    ];
    for (const status of ['FAILED', 'ABORTED', 'TIMED_OUT']) {
      expect(redriveDecision(execution(status, steps, 'LoadFailed'), def)).toEqual({
        ok: true,
        reason: 'resumes at CheckLoad',
        state: 'CheckLoad',
        input: { b: 2 },
      });
    }
  });

  it('refuses a run that succeeded or still runs, saying what to do instead', () => {
    expect(redriveDecision(execution('SUCCEEDED', [step('Notify', 'SUCCEEDED', {})]), def)).toEqual({
      ok: false,
      reason:
        'is SUCCEEDED (FINISHED or SKIPPED): nothing failed, so there is nothing to redrive; to load its file again, ingest it with --reload',
      state: null,
      input: null,
    });
    expect(redriveDecision(execution('RUNNING', [step('WaitForLoad', 'RUNNING', {})]), def)).toMatchObject({
      ok: false,
      reason:
        'is RUNNING: wait for it to end (efi show RUN follows it); only FAILED, ABORTED or TIMED_OUT runs can be redriven',
    });
  });

  it('refuses a failed run with no unfinished state (unless its process died)', () => {
    expect(redriveDecision(execution('FAILED', [step('SubmitLoad', 'SUCCEEDED', {}, {})], 'LoadFailed'), def)).toEqual({
      ok: false,
      reason: 'has no failed state to resume from',
      state: null,
      input: null,
    });
  });

  it('resumes an aborted or timed-out run stopped between two states after the state it completed', () => {
    // A stop (Ctrl-C, efi server's client hanging up) can land after CheckLoad's exit, before the Choice is entered.
    const between = [step('CheckLoad', 'SUCCEEDED', { a: 1 }, { a: 1, load: { status: 'STARTED' } })];
    for (const status of ['ABORTED', 'TIMED_OUT']) {
      expect(redriveDecision(execution(status, between, 'ExecutionAborted'), def)).toEqual({
        ok: true,
        reason: 'resumes at LoadDone',
        state: 'LoadDone',
        input: { a: 1, load: { status: 'STARTED' } },
      });
    }
    // Stopped before any state began: the start, with the execution's input.
    expect(redriveDecision(execution('ABORTED', [], 'ExecutionAborted'), def)).toMatchObject({
      ok: true,
      state: 'FetchConfig',
    });
  });

  it('refuses a rejected file: a redrive would reject it again', () => {
    const d = redriveDecision(execution('FAILED', [step('FileRejected', 'FAILED', {})], 'HeaderMismatch'), def);
    expect(d).toMatchObject({ ok: false, state: 'FileRejected', input: null });
    expect(d.reason).toContain('a redrive would reject it again');
  });

  it('resumes a run whose process died at the state that was running, or after the state it completed', () => {
    // Died inside SubmitLoad: SubmitLoad again, with its input.
    expect(
      redriveDecision(execution('FAILED', [step('SubmitLoad', 'RUNNING', { a: 1 })], PROCESS_DIED), def),
    ).toMatchObject({
      ok: true,
      state: 'SubmitLoad',
      input: { a: 1 },
    });
    // Died after SubmitLoad's exit was persisted, before WaitForLoad began: WaitForLoad, with SubmitLoad's output.
    const done = [step('SubmitLoad', 'SUCCEEDED', { a: 1 }, { a: 1, load: { statementId: 's' } })];
    expect(redriveDecision(execution('FAILED', done, PROCESS_DIED), def)).toEqual({
      ok: true,
      reason: 'resumes at WaitForLoad',
      state: 'WaitForLoad',
      input: { a: 1, load: { statementId: 's' } },
    });
    // Died before any state began: the start, with the execution's input.
    expect(redriveDecision(execution('FAILED', [], PROCESS_DIED), def)).toMatchObject({
      ok: true,
      state: 'FetchConfig',
      input: { detail: {} },
    });
  });
});

describe('where the redrive of an interrupted attempt resumes (resumePoint)', () => {
  it('at the state that was running, with its input', () => {
    expect(
      resumePoint([step('FetchConfig', 'SUCCEEDED', {}, { a: 1 }), step('ValidateFile', 'FAILED', { a: 1 })], def, {}),
    ).toEqual({
      state: 'ValidateFile',
      input: { a: 1 },
    });
  });

  it('after a completed Task, at its Next with its output; a Choice re-evaluates its input; nothing run: the start', () => {
    expect(resumePoint([step('SubmitLoad', 'SUCCEEDED', { a: 1 }, { a: 1, load: {} })], def, {})).toEqual({
      state: 'WaitForLoad',
      input: { a: 1, load: {} },
    });
    expect(resumePoint([step('LoadDone', 'SUCCEEDED', { b: 1 }, { b: 1 })], def, {})).toEqual({
      state: 'LoadDone',
      input: { b: 1 },
    });
    expect(resumePoint([], def, { detail: {} })).toEqual({ state: 'FetchConfig', input: { detail: {} } });
  });
});
