import { describe, expect, it } from 'vitest';
import { redriveDecision } from '../../../cli/history/redrive-rule.ts';

const isFail = (s: string) => s === 'FileRejected';

describe('redriveDecision: whether a local run may be redriven, and where it resumes', () => {
  it('resumes a failed, aborted or timed-out run at the state it stopped in', () => {
    for (const status of ['FAILED', 'ABORTED', 'TIMED_OUT']) {
      expect(redriveDecision(status, 'CheckLoad', isFail)).toEqual({
        ok: true,
        reason: 'resumes at CheckLoad',
        state: 'CheckLoad',
      });
    }
  });

  it('refuses a run that succeeded or still runs', () => {
    expect(redriveDecision('SUCCEEDED', null, isFail)).toEqual({
      ok: false,
      reason: 'is SUCCEEDED: only FAILED, ABORTED or TIMED_OUT runs can be redriven',
      state: null,
    });
    expect(redriveDecision('RUNNING', 'WaitForLoad', isFail).ok).toBe(false);
  });

  it('refuses a run with no unfinished state', () => {
    expect(redriveDecision('FAILED', null, isFail)).toMatchObject({
      ok: false,
      reason: 'has no failed state to resume from',
    });
  });

  it('refuses a rejected file: a redrive would reject it again', () => {
    const d = redriveDecision('FAILED', 'FileRejected', isFail);
    expect(d).toMatchObject({ ok: false, state: 'FileRejected' });
    expect(d.reason).toContain('a redrive would reject it again');
  });
});
