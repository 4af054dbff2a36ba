import { describe, expect, it } from 'vitest';
import { DEFAULT_LINEAGE, DEFAULT_LOAD_OPTIONS } from '../../functions/lib/config/model.ts';
import { ConfigInvalid } from '../../functions/lib/errors.ts';
import { assertLoadSpec, loadTargetName } from '../../functions/lib/ports/load-spec-rules.ts';
import type { LoadSpec, LoadTargetSpec } from '../../functions/lib/ports/warehouse.ts';

function target(patch: Partial<LoadTargetSpec> = {}): LoadTargetSpec {
  return {
    recordType: null,
    target: { schema: 'stage', table: 'orders' },
    columns: [{ name: 'id' }, { name: 'amount' }],
    lineage: DEFAULT_LINEAGE,
    format: { layout: 'delimited', delimiter: ',', quote: '"', escape: null },
    options: DEFAULT_LOAD_OPTIONS,
    parts: [],
    manifest: null,
    ...patch,
  };
}
const spec = (...targets: LoadTargetSpec[]): LoadSpec => ({ runId: 'r1', sourceFile: 's3://b/k', targets });
const fixed = { layout: 'fixed_width', delimiter: ',', quote: null, escape: null } as const;

describe('assertLoadSpec (the rules both warehouses apply before loading)', () => {
  it('accepts a well-formed spec', () => {
    expect(() => assertLoadSpec(spec(target(), target({ recordType: 'D1' })))).not.toThrow();
  });

  it.each<[string, LoadSpec, RegExp]>([
    ['no targets', spec(), /load spec for run "r1" has no targets/],
    ['no columns', spec(target({ columns: [] })), /load target 1 "stage.orders" has no columns/],
    ['an invalid table', spec(target({ target: { schema: 'stage', table: 'x"y' } })), /table "x\\"y"/],
    ['an invalid column', spec(target({ columns: [{ name: 'A B' }] })), /column "A B" is not a valid identifier/],
    [
      'an invalid lineage column',
      spec(target({ lineage: { ...DEFAULT_LINEAGE, runId: 'run id' } })),
      /lineage runId column "run id"/,
    ],
    [
      'a column listed twice',
      spec(target({ columns: [{ name: 'id' }], lineage: { sourceFile: 'id', runId: null, loadedAt: null } })),
      /column "id" is listed twice/,
    ],
    [
      'a fixed-width column without width',
      spec(target({ format: fixed, columns: [{ name: 'id', width: 2 }, { name: 'name' }] })),
      /column "name" has no valid width/,
    ],
    [
      'an escape with fixed width',
      spec(target({ format: { ...fixed, escape: '\\' }, columns: [{ name: 'id', width: 2 }] })),
      /cannot be used with a fixed_width layout/,
    ],
    [
      'maxErrors out of range',
      spec(target({ options: { ...DEFAULT_LOAD_OPTIONS, maxErrors: 100_001 } })),
      /maxErrors 100001 must be an integer from 0 to 100000/,
    ],
  ])('refuses %s with ConfigInvalid naming the target', (_what, s, message) => {
    expect(() => assertLoadSpec(s)).toThrow(ConfigInvalid);
    expect(() => assertLoadSpec(s)).toThrow(message);
  });

  it('names a target by its 1-based position, record type and table', () => {
    expect(loadTargetName(target({ recordType: 'D1' }), 1)).toBe('load target 2 (record type "D1") "stage.orders"');
  });
});
