import { describe, expect, it } from 'vitest';
import {
  isRowErrorCode,
  parseCopyContext,
  pgErrorFields,
  toLoadRowError,
} from '../../../functions/lib/adapters/postgres/postgres-load-errors.ts';

// Real end-to-end parses against both drivers are in warehouse-suite.ts; these
// pin the context forms PostgreSQL's CopyFromErrorCallback can produce.
describe('parseCopyContext', () => {
  it('reads relation, line, column and value', () => {
    expect(parseCopyContext('COPY efi_stage_0, line 3, column amount: "abc"')).toEqual({
      relation: 'efi_stage_0',
      line: 3,
      column: 'amount',
      rawValue: 'abc',
    });
  });

  it('keeps quotes and line breaks inside the shown value', () => {
    expect(parseCopyContext('COPY efi_stage_1, line 12, column note: "say "hi"\nthere"')).toMatchObject({
      line: 12,
      column: 'note',
      rawValue: 'say "hi"\nthere',
    });
  });

  it('reads line-level errors with the whole line as the value', () => {
    expect(parseCopyContext('COPY efi_stage_0, line 2: "1,ab"')).toEqual({
      relation: 'efi_stage_0',
      line: 2,
      column: null,
      rawValue: '1,ab',
    });
  });

  it('reads the forms without a value', () => {
    expect(parseCopyContext('COPY efi_stage_0, line 7, column id: null input')).toMatchObject({
      line: 7,
      column: 'id',
      rawValue: null,
    });
    expect(parseCopyContext('COPY efi_stage_0, line 7')).toMatchObject({ line: 7, column: null, rawValue: null });
  });

  it('ignores context lines that follow the COPY line', () => {
    expect(
      parseCopyContext('COPY efi_stage_0, line 4, column d: "x"\nPL/pgSQL function f() line 5 at SQL statement'),
    ).toMatchObject({
      line: 4,
      rawValue: 'x',
    });
  });

  it('returns null when the error did not come from a COPY row', () => {
    expect(parseCopyContext(null)).toBeNull();
    expect(parseCopyContext('PL/pgSQL function f() line 3 at RAISE')).toBeNull();
  });
});

describe('toLoadRowError', () => {
  const part = { target: { schema: 's', table: 't' }, partKey: 'p/1.csv', stageTable: 'efi_stage_0' };

  it('treats data exceptions and NOT NULL violations as row errors, nothing else', () => {
    expect(isRowErrorCode('22P02')).toBe(true);
    expect(isRowErrorCode('22001')).toBe(true);
    expect(isRowErrorCode('23502')).toBe(true);
    expect(isRowErrorCode('23505')).toBe(false);
    expect(isRowErrorCode('42P01')).toBe(false);
    expect(isRowErrorCode('42501')).toBe(false);
  });

  it('returns null for operational errors and for errors without a COPY context', () => {
    expect(toLoadRowError({ code: '42P01', message: 'relation "x" does not exist' }, part)).toBeNull();
    expect(toLoadRowError({ code: '22P02', message: 'invalid input syntax' }, part)).toBeNull();
    expect(toLoadRowError(new Error('boom'), part)).toBeNull();
  });

  it('uses the error field column when the context names none', () => {
    const err = {
      code: '23502',
      message: 'null value in column "id" of relation "efi_stage_0" violates not-null constraint',
      where: 'COPY efi_stage_0, line 2: ",b"',
      column: 'id',
    };
    expect(toLoadRowError(err, part)).toEqual({
      target: part.target,
      partKey: 'p/1.csv',
      lineInPart: 2,
      column: 'id',
      reason: 'null value in column "id" of relation "s.t" violates not-null constraint (SQLSTATE 23502)',
      rawValue: ',b',
    });
  });

  it('reads fields structurally and refuses non-database errors', () => {
    expect(pgErrorFields({ code: 'ENOENT', message: 'x' })).toBeNull();
    expect(pgErrorFields('22P02')).toBeNull();
    expect(pgErrorFields({ code: '22P02', message: 'm', where: 'w' })).toMatchObject({ code: '22P02', where: 'w' });
  });
});
