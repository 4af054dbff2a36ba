import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EfiError, formatLocation, serializeError } from '../../functions/lib/errors.ts';
import { validateFile } from '../../functions/lib/steps/validate-file.ts';
import { fileConfig, type TempStore, tempStore } from '../support/config-builder.ts';

/** Issue 8, E12: every content error names its real cause and one location shape. */
let t: TempStore;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

async function rejection(key: string, body: string | Buffer, config = fileConfig()): Promise<EfiError> {
  const run = await t.put(key, body);
  try {
    await validateFile(t.store, run, config);
  } catch (e) {
    return e as EfiError;
  }
  throw new Error('expected a rejection');
}

describe('validateFile: field-level errors carry line, field and field name', () => {
  it('an extra field is FieldCountMismatch, found vs expected, at the first extra field', async () => {
    const e = await rejection('in/a.csv', '1,a,10\n2,b,20,x\n');
    expect(e.name).toBe('FieldCountMismatch');
    expect(e.location).toEqual({ line: 2, field: 4 });
    expect(e.message).toMatch(/^line 2, field 4: found 4 fields, expected 3/);
  });

  it('a missing field names the first missing column', async () => {
    const e = await rejection('in/a.csv', '1,a,10\n2,b\n');
    expect(e.name).toBe('FieldCountMismatch');
    expect(e.location).toEqual({ line: 2, field: 3, fieldName: 'amount' });
    expect(e.message).toMatch(/^line 2, field 3 \(amount\): found 2 fields, expected 3/);
  });

  it('a delimiter inside an unquoted value shows as an extra field (no quoting configured)', async () => {
    const cfg = fileConfig({ format: { delimiter: '|', quote: null } });
    const e = await rejection('in/a.csv', '1|a|10\n2|b|c|20\n', cfg);
    expect(e).toMatchObject({ name: 'FieldCountMismatch', location: { line: 2, field: 4 } });
  });

  it('fits field counts as Redshift COPY does: one trailing delimiter, FILLRECORD, no column list', async () => {
    const text = { format: { delimiter: '|', quote: null } };
    const accepts = async (body: string, config: ReturnType<typeof fileConfig>) =>
      validateFile(t.store, await t.put('in/ok.csv', body), config);
    await expect(accepts('1|a|10|\n2|b|20|\n', fileConfig(text))).resolves.toMatchObject({ recordsInFile: 2 });
    await expect(accepts('1|a\n2|b|20\n', fileConfig({ ...text, load: { fillRecord: true } }))).resolves.toMatchObject({
      recordsInFile: 2,
    });
    const noColumns = fileConfig({ ...text, records: [{ ...fileConfig().records[0]!, columns: [] }] });
    await expect(accepts('1|a|10|x|y\n2\n', noColumns)).resolves.toMatchObject({ recordsInFile: 2 });
    // Two empty fields more is not a trailing delimiter.
    const e = await rejection('in/a.csv', '1|a|10||\n', fileConfig(text));
    expect(e).toMatchObject({ name: 'FieldCountMismatch', location: { line: 1, field: 4 } });
  });

  it('with maxErrors, records of a wrong field count are load errors until the budget is spent', async () => {
    const cfg = fileConfig({ load: { maxErrors: 2 } });
    await expect(
      validateFile(t.store, await t.put('in/ok.csv', '1,a,10\n2,b\n3,c,30,x\n4,d,40\n'), cfg),
    ).resolves.toMatchObject({
      recordsInFile: 4,
    });
    const e = await rejection('in/a.csv', '1,a\n2,b\n3,c,30,x\n', cfg);
    expect(e).toMatchObject({ name: 'FieldCountMismatch', location: { line: 3, field: 4 } });
    expect(e.message).toContain('record 3 with a wrong field count; load.maxErrors allows 2');
  });

  it('a NUL byte names the field it is in', async () => {
    const e = await rejection('in/a.csv', Buffer.from('1,a,10\n2,b\u0000x,20\n'));
    expect(e.name).toBe('MalformedRecord');
    expect(e.location).toEqual({ line: 2, field: 2, fieldName: 'name' });
    expect(e.message).toMatch(/NUL byte/);
  });

  it('a closing quote followed by data names its field, not field 1', async () => {
    const e = await rejection('in/a.csv', '1,a,10\n2,"b"x,20\n');
    expect(e.name).toBe('MalformedRecord');
    expect(e.location).toEqual({ line: 2, field: 2, fieldName: 'name' });
  });

  it('a quote never closed names the field it opened in, and tells a stray quote from an unterminated field', async () => {
    const open = await rejection('in/a.csv', '1,a,10\n2,"b,20\n3,c,30\n');
    expect(open).toMatchObject({ name: 'MalformedRecord', location: { line: 2, field: 2 } });
    expect(open.message).toMatch(/^line 2, field 2: a quoted field opened in this record is never closed/);
    const stray = await rejection('in/b.csv', '1,a,10\n2,b,2"0\n3,c,30\n');
    expect(stray).toMatchObject({ name: 'MalformedRecord', location: { line: 2, field: 3 } });
    expect(stray.message).toMatch(/a stray quote inside field 3/);
  });

  it('the location is serialized as is and shown the same way everywhere', async () => {
    const e = await rejection('in/a.csv', '1,a,10\n2,b\n');
    const s = serializeError(e);
    expect(s).toMatchObject({ line: 2, column: 'amount', location: { line: 2, field: 3, fieldName: 'amount' } });
    expect(formatLocation(s.location)).toBe('line 2, field 3 (amount)');
    expect(formatLocation({ line: 4, byteOffset: 130 })).toBe('line 4, byte offset 130');
  });
});

describe('validateFile: trailer and compression errors tell apart what went wrong', () => {
  const trailer = { count: { kind: 'pattern' as const, regex: '^TRL\\|(\\d+)$' }, marker: 'TRL|' };

  it('with trailer.marker, a file without its trailer is TrailerMissing', async () => {
    const e = await rejection('in/a.csv', '1,a,10\n2,b,20\n', fileConfig({ trailer }));
    expect(e.name).toBe('TrailerMissing');
    expect(e.location).toEqual({ line: 2 });
    expect(e.message).toMatch(/does not start with the trailer marker "TRL\|" \(trailer\.marker/);
  });

  it('with trailer.marker, a trailer whose count cannot be read is TrailerInvalid, advising real keys', async () => {
    const e = await rejection('in/a.csv', '1,a,10\nTRL|x\n', fileConfig({ trailer }));
    expect(e.name).toBe('TrailerInvalid');
    expect(e.message).toMatch(/trailer\.countAt \/ trailer\.countPattern/);
    expect(e.message).not.toMatch(/trailer\.count[^AP]/);
  });

  it('a truncated gzip file is CompressionCorrupt; an uncompressed file labelled gzip is CompressionMismatch', async () => {
    const gz = gzipSync(Buffer.from('1,a,10\n'.repeat(2000)));
    const cfg = fileConfig({ format: { compression: 'gzip' } });
    expect((await rejection('in/a.csv.gz', gz.subarray(0, gz.length - 20), cfg)).name).toBe('CompressionCorrupt');
    expect((await rejection('in/b.csv.gz', '1,a,10\n', cfg)).name).toBe('CompressionMismatch');
  });
});
