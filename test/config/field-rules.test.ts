import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FieldRule, fieldRules } from '../../functions/lib/config/field-rules.ts';

type Pair = { a?: string; b?: number; c?: { d?: string }[] };

function issues<T>(schema: z.ZodType<T>, value: unknown): string[] {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const seen: unknown[] = [];
const record: FieldRule<Pair> = { reads: ['a'], check: (v) => void seen.push(v) };
const shape = z
  .object({ a: z.string().optional(), b: z.number().optional(), c: z.array(z.object({ d: z.string() })).optional() })
  .strict();

describe('fieldRules: each rule runs once the fields it reads are valid, and sees only them', () => {
  it('runs past a field that failed its type, where zod would skip a refinement', () => {
    const schema = shape.check(fieldRules<Pair>([{ reads: ['a'], check: (v, add) => add(['a'], `a is ${v.a}`) }]));
    expect(issues(schema, { a: 'x', b: 'not a number' })).toEqual([
      'b: Invalid input: expected number, received string',
      'a: a is x',
    ]);
  });

  it('does not run a rule whose field failed, nor one reading inside a failed list item', () => {
    const schema = shape.check(
      fieldRules<Pair>([
        { reads: ['b'], check: (_v, add) => add([], 'b rule') },
        { reads: ['c[*].d'], check: (_v, add) => add([], 'c rule') },
        { reads: ['c?'], check: (v, add) => add([], `c is ${v.c ? 'set' : 'unset'}`) },
      ]),
    );
    expect(issues(schema, { b: 'x', c: [{ d: 'ok' }, { d: 5 }] })).toEqual([
      'b: Invalid input: expected number, received string',
      'c.1.d: Invalid input: expected string, received number',
      ': c is set',
    ]);
  });

  it('hands a rule only the fields it declares (an undeclared one reads as absent)', () => {
    seen.length = 0;
    shape.check(fieldRules([record])).parse({ a: 'x', b: 1, c: [{ d: 'y' }] });
    expect(seen).toEqual([{ a: 'x' }]);
  });

  it('a rule of an enclosing object is not held back by a rule problem inside it', () => {
    const inner = z
      .object({ x: z.string() })
      .check(fieldRules<{ x: string }>([{ reads: ['x'], check: (_v, add) => add(['x'], 'inner rule') }]));
    const outer = z
      .object({ i: inner, n: z.number() })
      .check(fieldRules<{ i: { x: string } }>([{ reads: ['i.x'], check: (_v, add) => add([], 'outer rule') }]));
    expect(issues(outer, { i: { x: 'a' }, n: 1 })).toEqual(['i.x: inner rule', ': outer rule']);
  });
});
