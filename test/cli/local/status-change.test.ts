import { describe, expect, it } from 'vitest';
import { localStatusChangeEvent } from '../../../cli/local/status-change.ts';
import { statusChangeEventSchema } from '../../../functions/lib/contract/status-change-event.ts';

describe('localStatusChangeEvent', () => {
  it("builds the event report-failure's handler parses, shaped like EventBridge's", () => {
    const event = localStatusChangeEvent({
      executionArn: 'arn:aws:states:local:000000000000:execution:efi:run-1',
      name: 'run-1',
      status: 'FAILED',
      input: { detail: { bucket: { name: 'b' }, object: { key: 'landing/x.csv' } } },
      error: 'LoadFailed',
      cause: '{"errorType":"LoadFailed","errorMessage":"no table"}',
      startDate: new Date('2026-11-24T09:00:00Z'),
      stopDate: new Date('2026-11-24T09:01:00Z'),
      redriveCount: 1,
    });
    expect(statusChangeEventSchema.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      resources: ['arn:aws:states:local:000000000000:execution:efi:run-1'],
      time: '2026-11-24T09:01:00.000Z',
      detail: { status: 'FAILED', startDate: Date.parse('2026-11-24T09:00:00Z'), redriveCount: 1 },
    });
    expect(JSON.parse(event.detail.input!)).toMatchObject({ detail: { object: { key: 'landing/x.csv' } } });
  });
});

describe('statusChangeEventSchema', () => {
  it('parses the event EventBridge delivers for a failed execution', () => {
    // As documented for "Step Functions Execution Status Change" (fields Step Functions leaves null included).
    const delivered = {
      version: '0',
      id: '315c1398-40ff-a850-213b-158f73e60175',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: '123456789012',
      time: '2026-11-24T09:05:00Z',
      region: 'eu-west-1',
      resources: ['arn:aws:states:eu-west-1:123456789012:execution:efi:run-0b7c9e2a'],
      detail: {
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:efi:run-0b7c9e2a',
        stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:efi',
        name: 'run-0b7c9e2a',
        status: 'TIMED_OUT',
        startDate: 1795510800000,
        stopDate: 1795511100000,
        input: '{"detail":{}}',
        output: null,
        inputDetails: { included: true },
        outputDetails: null,
        error: 'States.Timeout',
        cause: null,
        redriveCount: 0,
        redriveStatus: 'REDRIVABLE',
        redriveStatusReason: null,
      },
    };
    expect(statusChangeEventSchema.parse(delivered).detail).toMatchObject({ status: 'TIMED_OUT', redriveCount: 0 });
  });

  it('refuses a status the rule does not deliver', () => {
    const detail = { executionArn: 'arn:x', name: 'n', status: 'SUCCEEDED' };
    expect(statusChangeEventSchema.safeParse({ detail }).success).toBe(false);
  });
});
