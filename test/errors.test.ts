import { describe, expect, it } from 'vitest';
import {
  ConfigInvalid,
  ERROR_CLASSES,
  ERROR_KINDS,
  errorKindOf,
  errorLine,
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

describe('errorLine: an error as one line, name, place and message', () => {
  it('names the place once when the message already starts with it', () => {
    const header = {
      name: 'HeaderMismatch',
      message: 'line 1, field 3 (sku): header expected "sku" but found "SKU_X"',
      location: { line: 1, field: 3, fieldName: 'sku' },
    };
    expect(errorLine(header)).toBe('HeaderMismatch at line 1, field 3 (sku): header expected "sku" but found "SKU_X"');
  });

  it('keeps a message that says the place in its own words, and one without a place', () => {
    const row = { name: 'RowRejected', message: 'stage.t refused the row at line 57', line: 57, column: 'created_on' };
    expect(errorLine(row)).toBe('RowRejected at line 57, field created_on: stage.t refused the row at line 57');
    expect(errorLine({ name: 'LoadFailed', message: 'no table' })).toBe('LoadFailed: no table');
  });

  it('does not add the place to a message that names the whole of it in its own words', () => {
    const row = {
      name: 'RowRejected',
      message: 'stage.t refused the row at line 57, field 5 (created_on): date/time field value out of range',
      location: { line: 57, field: 5, fieldName: 'created_on' },
    };
    expect(errorLine(row)).toBe(
      'RowRejected: stage.t refused the row at line 57, field 5 (created_on): date/time field value out of range',
    );
  });
});
