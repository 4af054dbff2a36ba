import { describe, expect, it } from 'vitest';
import { DEFAULT_POLL_POLICY } from '../../functions/lib/steps/statement-poll.ts';
import { DEFAULT_STATEMENT_POLLING, normaliseStatementPolling } from '../../infra/lib/props.ts';

describe('the statementPolling construct prop', () => {
  it('defaults to the functions’ own poll policy', () => {
    expect(DEFAULT_STATEMENT_POLLING).toEqual(DEFAULT_POLL_POLICY);
    expect(normaliseStatementPolling({ maxWaitSeconds: 600 })).toEqual({ ...DEFAULT_POLL_POLICY, maxWaitSeconds: 600 });
  });

  it('refuses a ceiling whose polling could use over half the 25,000-event history in one attempt', () => {
    expect(() => normaliseStatementPolling({ maxPolls: 1000 })).toThrow(/over half the 25000-event limit/);
    expect(() => normaliseStatementPolling({ firstWaitSeconds: 0 })).toThrow(/positive whole number/);
  });
});
