import { describe, expect, it } from 'vitest';
import { transformParameters, warehouseTimestamp } from '../../functions/lib/steps/transform-parameters.ts';

const run = { runId: 'r-1', sourceFile: 's3://efi/landing/x_527.txt', startedAt: '2026-12-01T10:27:27.123Z' };

describe('transform parameters', () => {
  it('passes only the run values the SQL uses, in a fixed order', () => {
    expect(transformParameters('CALL core.promote(:loaded_at, :run_id)', run)).toEqual([
      { name: 'run_id', value: 'r-1' },
      { name: 'loaded_at', value: '2026-12-01 10:27:27.123' },
    ]);
  });

  it('passes none to SQL without parameters (the Data API refuses unused ones)', () => {
    expect(transformParameters("CALL p('x::y', ':run_id')", run)).toEqual([]);
  });

  it('renders loaded_at as a UTC timestamp literal both warehouses read', () => {
    expect(warehouseTimestamp('2026-12-01T23:59:59.000+02:00')).toBe('2026-12-01 21:59:59.000');
    expect(() => warehouseTimestamp('yesterday')).toThrow(/ISO/);
  });
});
