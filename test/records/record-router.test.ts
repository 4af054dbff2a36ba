import { describe, expect, it } from 'vitest';
import { recordPlan } from '../../functions/lib/records/record-plan.ts';
import { recordRouter, UNKNOWN_RECORD } from '../../functions/lib/records/record-router.ts';
import { fileConfig, layout } from '../support/config-builder.ts';

const rec = (text: string) => {
  const b = Buffer.from(text, 'utf8');
  return [b, 0, b.length] as const;
};

describe('recordRouter', () => {
  const split = (onUnknown: 'reject' | 'skip') =>
    recordPlan(
      fileConfig({ split: { prefixLength: 2, onUnknown }, records: [layout('H1', ['a']), layout('D1', ['b'])] }),
    );

  it('routes every record of a file that is not split to its one layout', () => {
    const route = recordRouter(recordPlan(fileConfig()));
    expect(route(...rec('anything'), 1)).toBe(0);
    expect(route(...rec(''), 2)).toBe(0);
  });

  it('routes a record to the layout of its type prefix', () => {
    const route = recordRouter(split('reject'));
    expect(route(...rec('H1,x'), 1)).toBe(0);
    expect(route(...rec('D1,y'), 2)).toBe(1);
  });

  it("answers UNKNOWN_RECORD for an unconfigured type under onUnknown: 'skip'", () => {
    expect(recordRouter(split('skip'))(...rec('X9,z'), 3)).toBe(UNKNOWN_RECORD);
  });

  it("refuses an unconfigured type under onUnknown: 'reject' with its line and the known types", () => {
    const route = recordRouter(split('reject'));
    expect(() => route(...rec('X9,z'), 3)).toThrow(
      expect.objectContaining({
        name: 'UnknownRecordType',
        line: 3,
        message: expect.stringMatching(/line 3: record type "X9" is not configured \(known types: "H1", "D1"\)/),
      }),
    );
    expect(() => route(...rec(''), 4)).toThrow(/record type "" \(blank line\) is not configured/);
  });

  it('lets a caller skip unknown types whatever the config says', () => {
    expect(recordRouter(split('reject'), 'skip')(...rec('X9,z'), 3)).toBe(UNKNOWN_RECORD);
  });
});
