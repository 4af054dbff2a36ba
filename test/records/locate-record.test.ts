import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { locateRecord, locateRecords } from '../../functions/lib/records/locate-record.ts';
import { recordsOfPartLines } from '../../functions/lib/records/part-record.ts';
import { preprocess } from '../../functions/lib/steps/preprocess.ts';
import { readParts } from '../../functions/lib/steps/processing.ts';
import { validateFile } from '../../functions/lib/steps/validate-file.ts';
import { BUCKET, fileConfig, layout, type TempStore, tempStore } from '../support/config-builder.ts';

let t: TempStore;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

describe('locateRecord', () => {
  it('maps a record ordinal to its physical line past header, blank lines and quoted newlines', async () => {
    const cfg = fileConfig({ header: { lines: 1 } });
    const body = 'id,name,amount\r\n1,a,1\r\n\r\n2,"multi\r\nline",2\r\n3,c,3\r\n';
    const obj = await t.put('in/a.csv', body);
    expect(await locateRecord(t.store, obj, cfg, null, 1)).toBe(2);
    expect(await locateRecord(t.store, obj, cfg, null, 2)).toBe(4);
    expect(await locateRecord(t.store, obj, cfg, null, 3)).toBe(6);
    await expect(locateRecord(t.store, obj, cfg, null, 4)).rejects.toMatchObject({
      name: 'InvalidStateInput',
      message: expect.stringMatching(/has only 3 data records/),
    });
  });

  it('locates several records in one pass, and names one that does not exist', async () => {
    const cfg = fileConfig({ header: { lines: 1 } });
    const body = 'id,name,amount\r\n1,a,1\r\n\r\n2,"multi\r\nline",2\r\n3,c,3\r\n';
    const obj = await t.put('in/a.csv', body);
    expect(await locateRecords(t.store, obj, cfg, null, [3, 1])).toEqual(
      new Map([
        [1, 2],
        [3, 6],
      ]),
    );
    await expect(locateRecords(t.store, obj, cfg, null, [2, 5])).rejects.toThrow(/record 5 does not exist/);
  });

  it('maps physical lines of a part to the records that contain them, quote-aware', async () => {
    const obj = await t.put('processing/r/all/part-00000.csv', '1,a\n2,"two\nlines"\n3,c\n');
    const part = { bucket: BUCKET, key: obj.key, compression: 'none' as const, bytes: 0, records: 3, firstRecord: 1 };
    expect(await recordsOfPartLines(t.store, part, '"', [4, 1, 3, 2])).toEqual(
      new Map([
        [1, 1],
        [2, 2],
        [3, 2],
        [4, 3],
      ]),
    );
    expect(await recordsOfPartLines(t.store, part, null, [3])).toEqual(new Map([[3, 3]]));
  });

  it("maps lines of a part read in place from its first byte, not the object's (the header is not in the part)", async () => {
    const body = 'id,"name\nheader"\n1,a\n2,"two\nlines"\n3,c\n';
    const obj = await t.put('landing/inplace.csv', body);
    const start = 'id,"name\nheader"\n'.length;
    const part = {
      bucket: BUCKET,
      key: obj.key,
      compression: 'none' as const,
      bytes: body.length - start,
      records: 3,
      firstRecord: 1,
      start,
    };
    expect(await recordsOfPartLines(t.store, part, '"', [1, 3, 4])).toEqual(
      new Map([
        [1, 1],
        [3, 2],
        [4, 3],
      ]),
    );
  });

  it('counts within the record type for split files', async () => {
    const cfg = fileConfig({
      split: { prefixLength: 2, onUnknown: 'skip' },
      records: [layout('H1', ['t']), layout('D1', ['t'])],
    });
    const obj = await t.put('in/a.csv', 'H1,x\nD1,a\nZZ,q\nD1,b\nD1,c\n');
    expect(await locateRecord(t.store, obj, cfg, 'D1', 1)).toBe(2);
    expect(await locateRecord(t.store, obj, cfg, 'D1', 3)).toBe(5);
    expect(await locateRecord(t.store, obj, cfg, 'H1', 1)).toBe(1);
  });

  it('agrees with the parts Preprocess wrote: firstRecord of every part maps to the line holding that record', async () => {
    const lines = ['id,name', ...Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? '' : `${i},"n\n${i}"`))];
    const body = `${lines.join('\n')}\nT99\n`;
    const cfg = fileConfig({
      header: { lines: 1 },
      trailer: { count: { kind: 'pattern', regex: '^T(\\d+)' } },
      partBytes: 300,
      records: [layout(null, ['id', 'name'])],
    });
    // 200 records, 20 of them blank (ignored): 180 data records; fix the trailer to match.
    const fixed = body.replace('T99', 'T180');
    const obj = await t.put('in/a.csv', fixed);
    const validation = await validateFile(t.store, obj, cfg);
    const prepared = await preprocess(t.store, { runId: 'r1', bucket: BUCKET, key: obj.key }, cfg, validation, {
      processingPrefix: 'processing/',
    });
    const parts = await readParts(t.store, prepared.targets[0]!);
    expect(parts.length).toBeGreaterThan(3);
    const physical = fixed.split('\n');
    for (const p of parts) {
      const firstRecordText = (await t.gunzip(p.key)).split('\n').slice(0, 2).join('\n');
      const line = await locateRecord(t.store, obj, cfg, null, p.firstRecord);
      expect(physical.slice(line - 1, line + 1).join('\n')).toBe(firstRecordText);
    }
  });
});
