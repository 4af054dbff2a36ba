import { describe, expect, it } from 'vitest';
import { LOCAL_POLL_POLICY } from '../../../cli/local/handlers.ts';
import { DEFAULT_POLL_POLICY, DESCRIBE_WAIT_MS, waitedSeconds } from '../../../functions/lib/steps/statement-poll.ts';

describe('the local poll ceiling', () => {
  it('gives a local load as long as a deployed one before StatementStillRunning (local Waits take no time, each Check long-polls)', () => {
    const deployed = waitedSeconds(DEFAULT_POLL_POLICY.maxPolls);
    const local = LOCAL_POLL_POLICY.maxPolls * (DESCRIBE_WAIT_MS / 1000);
    expect(deployed).toBeGreaterThan(12 * 3600);
    expect(local).toBeGreaterThanOrEqual(deployed);
    expect(local - deployed).toBeLessThan(DESCRIBE_WAIT_MS / 1000);
  });
});
