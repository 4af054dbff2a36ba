import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../cli/local/definition.ts';
import { ERROR_KINDS, errorNamesOfKind } from '../../functions/lib/errors.ts';

interface State {
  Type: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[] }[];
  Iterator?: { States: Record<string, State> };
  ItemProcessor?: { States: Record<string, State> };
  Branches?: { States: Record<string, State> }[];
}

/** Every state of the definition, nested Map and Parallel states included, by path. */
function allStates(states: Record<string, State>, prefix = ''): [string, State][] {
  return Object.entries(states).flatMap(([name, s]) => {
    const path = `${prefix}${name}`;
    const nested = [
      ...(s.Iterator ? [s.Iterator.States] : []),
      ...(s.ItemProcessor ? [s.ItemProcessor.States] : []),
      ...(s.Branches ?? []).map((b) => b.States),
    ];
    return [[path, s] as [string, State], ...nested.flatMap((n) => allStates(n, `${path}/`))];
  });
}

const states = allStates(loadDefinition().States as Record<string, State>);
const sorted = (names: readonly string[]) => [...names].sort();

describe('statemachine/efi.asl.json against the error registry (functions/lib/errors.ts)', () => {
  const transient = sorted(errorNamesOfKind('transient'));
  const rejected = sorted(errorNamesOfKind('rejected'));

  it('has transient and rejected names to check against', () => {
    expect(transient).toContain('EfiTransient');
    expect(rejected).toContain('TrailerMismatch');
  });

  it('retries exactly the transient names on every Retry', () => {
    const retries = states.flatMap(([path, s]) => (s.Retry ?? []).map((r) => [path, r.ErrorEquals] as const));
    expect(retries.length).toBeGreaterThan(0);
    for (const [path, names] of retries) expect(sorted(names), `${path} Retry`).toEqual(transient);
  });

  it('catches exactly the rejected names on every Catch', () => {
    const catches = states.flatMap(([path, s]) => (s.Catch ?? []).map((c) => [path, c.ErrorEquals] as const));
    expect(catches.length).toBeGreaterThan(0);
    for (const [path, names] of catches) expect(sorted(names), `${path} Catch`).toEqual(rejected);
  });

  it('names no error in Retry or Catch that the registry does not declare, and no operational one', () => {
    for (const [path, s] of states) {
      for (const name of [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals)) {
        expect(ERROR_KINDS.has(name), `${path}: ${name} is declared in errors.ts`).toBe(true);
        expect(ERROR_KINDS.get(name), `${path}: ${name}`).not.toBe('operational');
      }
    }
  });
});
