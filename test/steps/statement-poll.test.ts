import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLL_POLICY,
  firstPoll,
  HISTORY_EVENTS_PER_POLL,
  nextPoll,
  nextWaitSeconds,
  waitedSeconds,
} from '../../functions/lib/steps/statement-poll.ts';

describe('statement polling', () => {
  it('waits 5 s after the submit, doubles each poll and stays at the 5-minute cap', () => {
    expect(Array.from({ length: 9 }, (_, i) => nextWaitSeconds(i))).toEqual([5, 10, 20, 40, 80, 160, 300, 300, 300]);
    expect(nextWaitSeconds(10_000)).toBe(300);
    expect(firstPoll(2)).toEqual({ polls: 0, pollsUnder: 2, nextWaitSeconds: 5 });
  });

  it('counts polls and returns the next wait while the statement runs', () => {
    expect(nextPoll({ statementId: 's', polls: 3, pollsUnder: 0 }, 0)).toEqual({
      polls: 4,
      pollsUnder: 0,
      nextWaitSeconds: 80,
    });
    // A payload from before backoff (no poll fields) starts counting.
    expect(nextPoll({ statementId: 's' }, 0)).toEqual({ polls: 1, pollsUnder: 0, nextWaitSeconds: 10 });
  });

  it('fails StatementStillRunning (operational) at the ceiling, and a redrive counts afresh', () => {
    const at = { statementId: 'st-1', polls: DEFAULT_POLL_POLICY.maxPolls - 1, pollsUnder: 0 };
    expect(() => nextPoll(at, 0, DEFAULT_POLL_POLICY, 'load statement')).toThrow(
      expect.objectContaining({
        name: 'StatementStillRunning',
        kind: 'operational',
        message: expect.stringMatching(/load statement st-1 is still running after 150 polls/),
      }),
    );
    expect(nextPoll(at, 1)).toEqual({ polls: 1, pollsUnder: 1, nextWaitSeconds: 10 });
  });

  it('keeps one attempt far below the 25,000-event history and the 24 h execution timeout', () => {
    const { maxPolls } = DEFAULT_POLL_POLICY;
    // Both loops (load and transform) at their ceiling, plus the fixed states of a run (docs/deploy.md).
    expect(2 * maxPolls * HISTORY_EVENTS_PER_POLL + 200).toBeLessThan(25_000 / 8);
    // ~12.1 h: fails well before the execution's 24 h TimeoutSeconds.
    expect(waitedSeconds(maxPolls)).toBeLessThan(13 * 3600);
    expect(waitedSeconds(maxPolls)).toBe(315 + (maxPolls - 6) * 300);
  });
});
