import { describe, expect, it } from 'vitest';
import {
  ConfigInvalid,
  ERROR_CLASSES,
  ERROR_KINDS,
  errorKindOf,
  errorNamesOfKind,
  REJECTED_ERROR_NAMES,
  TRANSIENT_ERROR_NAMES,
  TrailerMismatch,
  TransientError,
} from '../functions/lib/errors.ts';

describe('the error registry', () => {
  it('gives each class a distinct Step Functions name of its own (not "Error")', () => {
    const names = ERROR_CLASSES.map((C) => new C('x').name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain('Error');
  });

  it('derives the kind of a name from its class', () => {
    for (const C of ERROR_CLASSES) {
      const e = new C('x');
      expect(errorKindOf(e.name), e.name).toBe(e.kind);
    }
    expect(errorKindOf(new TrailerMismatch('x').name)).toBe('rejected');
    expect(errorKindOf(new TransientError('x').name)).toBe('transient');
    expect(errorKindOf(new ConfigInvalid('x').name)).toBe('operational');
  });

  it('counts the Lambda service errors as transient, and any undeclared name as operational', () => {
    expect(errorKindOf('Lambda.TooManyRequestsException')).toBe('transient');
    expect(errorKindOf('States.Timeout')).toBe('operational');
    expect(errorKindOf('TypeError')).toBe('operational');
    expect(errorKindOf('')).toBe('operational');
  });

  it('lists each family from the registry', () => {
    expect(REJECTED_ERROR_NAMES).toEqual(errorNamesOfKind('rejected'));
    expect(TRANSIENT_ERROR_NAMES).toEqual(errorNamesOfKind('transient'));
    expect(TRANSIENT_ERROR_NAMES[0]).toBe('EfiTransient');
    expect(REJECTED_ERROR_NAMES).toHaveLength(15);
    expect([...ERROR_KINDS.values()].filter((k) => k === 'operational')).toHaveLength(11);
  });
});
