import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileConfig } from '../../functions/lib/config/model.ts';
import { prepareLoad, preprocess, useOriginal } from '../../functions/lib/steps/preprocess.ts';
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

const OPTS = { processingPrefix: 'processing/' };

async function run(key: string, body: string | Buffer, config: FileConfig, runId = 'run-1', opts = {}) {
  const obj = await t.put(key, body);
  const validation = await validateFile(t.store, obj, config);
  return preprocess(t.store, { runId, bucket: BUCKET, key }, config, validation, { ...OPTS, ...opts });
}

/** All parts of a target, decompressed and concatenated. */
async function targetText(prepared: Awaited<ReturnType<typeof run>>, index = 0): Promise<string> {
  let out = '';
  for (const p of await readParts(t.store, prepared.targets[index]!)) out += await t.gunzip(p.key);
  return out;
}

/** Minimal RFC 4180 reader for checking round trips (not used by the product). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  return rows;
}

describe('preprocess', () => {
  it('strips BOM, header and trailer, normalises CRLF and drops blank lines, from gzip input', async () => {
    const cfg = fileConfig({
      header: { lines: 1 },
      trailer: { count: { kind: 'position', from: 2, to: 9 } },
      format: { compression: 'gzip' },
    });
    const body = gzipSync(Buffer.from('\uFEFFid,name,amount\r\n1,a,1\r\n\r\n2,"b\r\nc",2\r\nT00000002\r\n'));
    const prepared = await run('in/a.csv.gz', body, cfg);
    expect(prepared.processingPrefix).toBe('processing/run-1/');
    expect(prepared.skippedRecords).toBe(0);
    expect(prepared.targets).toHaveLength(1);
    const target = prepared.targets[0]!;
    expect(target.recordType).toBeNull();
    expect(target.records).toBe(2);
    // The CRLF inside the quoted field is data and stays.
    expect(await targetText(prepared)).toBe('1,a,1\n2,"b\r\nc",2\n');
    expect(target.format).toEqual({ layout: 'delimited', delimiter: ',', quote: '"', escape: null });
  });

  it('keeps blank lines as records when ignoreBlankLines is off', async () => {
    const cfg = fileConfig({
      load: { ignoreBlankLines: false },
      trailer: { count: { kind: 'pattern', regex: 'T(\\d+)' } },
    });
    const prepared = await run('in/a.csv', '1,a,1\n\n2,b,2\nT3\n\n', cfg);
    expect(await targetText(prepared)).toBe('1,a,1\n\n2,b,2\n');
    expect(prepared.targets[0]!.records).toBe(3);
  });

  it('transcodes latin1 and windows-1252 to UTF-8', async () => {
    const body = Buffer.from('1,caf\xe9,1\n2,\x80uro,2\n', 'latin1');
    const latin1 = await run('in/a.csv', body, fileConfig({ format: { encoding: 'latin1' } }), 'r-latin1');
    expect(await targetText(latin1)).toBe('1,café,1\n2,\u0080uro,2\n');
    const cp = await run('in/b.csv', body, fileConfig({ format: { encoding: 'windows-1252' } }), 'r-cp1252');
    expect(await targetText(cp)).toBe('1,café,1\n2,€uro,2\n');
  });

  it('rewrites a multi-character delimiter to CSV that round-trips commas, quotes and empty strings', async () => {
    const cfg = fileConfig({
      format: { delimiter: '|~|', quote: '"' },
      records: [layout(null, ['id', 'a', 'b', 'c'])],
    });
    const fields = [
      ['1', 'a, with comma', 'say "hi"', ''],
      ['2', 'quoted|~|delimiter', 'multi\nline', 'plain'],
    ];
    const body = '1|~|a, with comma|~|say "hi"|~|\n2|~|"quoted|~|delimiter"|~|"multi\nline"|~|plain\n';
    const prepared = await run('in/a.csv', body, cfg);
    const text = await targetText(prepared);
    expect(parseCsv(text)).toEqual(fields);
    expect(prepared.targets[0]!.format).toEqual({ layout: 'delimited', delimiter: ',', quote: '"', escape: null });
    // A field quoted in the source stays quoted: "" remains an empty string, not NULL.
    const empty = await run(
      'in/b.csv',
      '1|~|""|~|\n',
      fileConfig({ format: { delimiter: '|~|', quote: '"' } }),
      'run-2',
    );
    expect(await targetText(empty)).toBe('1,"",\n');
  });

  it('rewrites a multi-character delimiter without a quote character, quoting fields that need it', async () => {
    const cfg = fileConfig({
      format: { delimiter: '||', quote: null },
      records: [layout(null, ['id', 'a', 'b', 'c'])],
    });
    const prepared = await run('in/a.csv', '1||say "x"||b,c||\n2||||plain||z\n', cfg);
    const text = await targetText(prepared);
    expect(text).toBe('1,"say ""x""","b,c",\n2,,plain,z\n');
    expect(parseCsv(text)).toEqual([
      ['1', 'say "x"', 'b,c', ''],
      ['2', '', 'plain', 'z'],
    ]);
  });

  it('rewrites a multi-character delimiter with removeQuotes as REMOVEQUOTES reads it: quoted delimiters are data', async () => {
    const cfg = fileConfig({
      format: { delimiter: '~|~', quote: null },
      records: [layout(null, ['id', 'a', 'b'])],
      load: { removeQuotes: true },
    });
    const prepared = await run('in/a.csv', `1~|~"x~|~y"~|~'q"q'\n2~|~O'Brien~|~"z"\n`, cfg);
    expect(parseCsv(await targetText(prepared))).toEqual([
      ['1', 'x~|~y', 'q"q'],
      ['2', "O'Brien", 'z'],
    ]);
    // A quote that is never closed fails the record, as Redshift refuses it.
    await expect(run('in/b.csv', '1~|~"x~|~y\n', cfg, 'run-2')).rejects.toMatchObject({ name: 'MalformedRecord' });
  });

  it('splits by record type into one target each and drops unknown types when skipping', async () => {
    const cfg = fileConfig({
      split: { prefixLength: 2, onUnknown: 'skip' },
      records: [layout('H1', ['t', 'a']), layout('D1', ['t', 'b']), layout('Z9', ['t'])],
    });
    const prepared = await run('in/a.csv', 'H1,x\nD1,y\nXX,skip me\nD1,z\n', cfg);
    expect(prepared.skippedRecords).toBe(1);
    expect(prepared.targets.map((x) => [x.recordType, x.records])).toEqual([
      ['H1', 1],
      ['D1', 2],
      ['Z9', 0],
    ]);
    expect(await targetText(prepared, 0)).toBe('H1,x\n');
    expect(await targetText(prepared, 1)).toBe('D1,y\nD1,z\n');
    expect((await readParts(t.store, prepared.targets[1]!))[0]!.key).toBe('processing/run-1/D1/part-00000.gz');
    // A type with no records has nothing to load: no parts, no part list, no manifest.
    expect(prepared.targets[2]!.partCount).toBe(0);
    expect(prepared.targets[2]!.partList).toBeNull();
    expect(prepared.targets[2]!.manifest).toBeNull();
  });

  it('rejects an unknown record type when configured to', async () => {
    const cfg = fileConfig({ split: { prefixLength: 2, onUnknown: 'reject' }, records: [layout('H1', ['t'])] });
    const obj = await t.put('in/a.csv', 'H1,x\nXX,y\n');
    const validation = { ...(await validateFile(t.store, await t.put('in/ok.csv', 'H1,x\nH1,y\n'), cfg)) };
    await expect(
      preprocess(t.store, { runId: 'r', bucket: BUCKET, key: obj.key }, cfg, validation, OPTS),
    ).rejects.toMatchObject({ name: 'UnknownRecordType', line: 2 });
    // The failed run leaves no half-written part behind.
    expect((await t.keys('processing/r/')).filter((k) => k.endsWith('.tmp'))).toEqual([]);
  });

  it('cuts parts at record boundaries with correct firstRecord, counts and manifest', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `${i + 1},name-${i + 1},${'x'.repeat(i % 37)}`);
    const body = `${rows.join('\n')}\n`;
    const cfg = fileConfig({ partBytes: 4096 });
    // Small compression blocks so parts are made of several parallel blocks.
    const prepared = await run('in/a.csv', body, cfg, 'run-1', { blockBytes: 1000, concurrency: 3 });
    const target = prepared.targets[0]!;
    const parts = await readParts(t.store, target);
    expect(target.parts).toBeUndefined();
    expect(target.partCount).toBe(parts.length);
    expect(target.bytes).toBe(Buffer.byteLength(body));
    expect(parts.length).toBeGreaterThan(5);
    let next = 1;
    let all = '';
    for (const [i, p] of parts.entries()) {
      expect(p.key).toBe(`processing/run-1/all/part-${String(i).padStart(5, '0')}.gz`);
      expect(p.compression).toBe('gzip');
      expect(p.firstRecord).toBe(next);
      const text = await t.gunzip(p.key);
      expect(text.endsWith('\n')).toBe(true);
      expect(Buffer.byteLength(text)).toBe(p.bytes);
      const lines = text.split('\n').slice(0, -1);
      expect(lines.length).toBe(p.records);
      // Records are never cut: each part starts with the record its firstRecord names.
      expect(lines[0]).toBe(rows[p.firstRecord - 1]);
      if (i < parts.length - 1) expect(p.bytes).toBeGreaterThanOrEqual(4096);
      next += p.records;
      all += text;
    }
    expect(all).toBe(body);
    expect(target.records).toBe(1000);

    const manifest = JSON.parse((await t.read(target.manifest!.key)).toString('utf8'));
    expect(target.manifest).toEqual({ bucket: BUCKET, key: 'processing/run-1/all/manifest.json' });
    expect(manifest.entries).toHaveLength(parts.length);
    for (const [i, entry] of manifest.entries.entries()) {
      const p = parts[i]!;
      expect(entry).toEqual({
        url: `s3://${BUCKET}/${p.key}`,
        mandatory: true,
        meta: { content_length: (await t.read(p.key)).length },
      });
    }
  });

  it('writes uncompressed parts when told to (a local warehouse on the folder store), cut at the same records', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${i + 1},name-${i + 1},${i * 3}`);
    const body = `${rows.join('\n')}\n`;
    const cfg = fileConfig({ partBytes: 1024 });
    const gz = await run('in/g.csv', body, cfg, 'run-g', { blockBytes: 500 });
    const plain = await run('in/p.csv', body, cfg, 'run-p', { blockBytes: 500, compressParts: false });
    const parts = await readParts(t.store, plain.targets[0]!);
    expect(parts.map((p) => [p.records, p.bytes, p.firstRecord])).toEqual(
      (await readParts(t.store, gz.targets[0]!)).map((p) => [p.records, p.bytes, p.firstRecord]),
    );
    let all = '';
    for (const p of parts) {
      expect(p.compression).toBe('none');
      expect(p.key).toMatch(/part-\d{5}\.txt$/);
      const text = (await t.read(p.key)).toString('utf8');
      expect(Buffer.byteLength(text)).toBe(p.bytes);
      all += text;
    }
    expect(all).toBe(body);
  });

  it('is idempotent: a rerun writes the same keys and bytes and leaves nothing stale', async () => {
    const rows = `${Array.from({ length: 300 }, (_, i) => `${i},n${i},${i * 3}`).join('\n')}\n`;
    const first = await run('in/a.csv', rows, fileConfig({ partBytes: 1024 }));
    const keys = await t.keys('processing/run-1/');
    const bytes = await Promise.all(keys.map((k) => t.read(k)));
    // A stale object from an earlier, different attempt must disappear.
    await t.put('processing/run-1/all/part-09999.gz', 'stale');
    const second = await run('in/a.csv', rows, fileConfig({ partBytes: 1024 }));
    expect(second).toEqual(first);
    expect(await t.keys('processing/run-1/')).toEqual(keys);
    expect(await Promise.all(keys.map((k) => t.read(k)))).toEqual(bytes);
  });

  it('refuses to run when the object no longer matches its validation', async () => {
    const cfg = fileConfig();
    const obj = await t.put('in/a.csv', '1,a,1\n2,b,2\n');
    const validation = await validateFile(t.store, obj, cfg);
    await t.put('in/a.csv', '1,a,1\n');
    await expect(
      preprocess(t.store, { runId: 'r', bucket: BUCKET, key: obj.key }, cfg, validation, OPTS),
    ).rejects.toMatchObject({ name: 'InvalidStateInput', message: expect.stringMatching(/changed after validation/) });
  });
});

describe('useOriginal (UseOriginalFile)', () => {
  it('for a warehouse that reads in place, a file with a header is not rewritten: its one part is the original past the header', async () => {
    const cfg = fileConfig({ header: { lines: 1, columns: ['id', 'name', 'amount'] } });
    const body = 'id,name,amount\n1,a,1\n2,b,2\n';
    const obj = await t.put('in/h.csv', body);
    const validation = await validateFile(t.store, obj, cfg);
    expect(validation.needsPreprocess).toBe(true);
    const run = { runId: 'run-h', bucket: BUCKET, key: 'in/h.csv', configId: cfg.id, configVersion: 1 };
    const configs = { get: async () => cfg } as never;
    const prepared = await prepareLoad(
      { run: run as never, validation },
      {
        store: t.store,
        configs,
        processingPrefix: 'processing/',
        loadInPlace: true,
      },
    );
    const start = 'id,name,amount\n'.length;
    expect(await readParts(t.store, prepared.targets[0]!)).toEqual([
      {
        bucket: BUCKET,
        key: 'in/h.csv',
        compression: 'none',
        bytes: body.length - start,
        records: 2,
        firstRecord: 1,
        start,
      },
    ]);
    expect(await t.keys('processing/run-h/')).toEqual([
      'processing/run-h/all/manifest.json',
      'processing/run-h/all/parts.json',
    ]);
    // Without it (Redshift reads whole objects) Preprocess writes parts without the header.
    const rewritten = await prepareLoad(
      { run: { ...run, runId: 'run-r' } as never, validation },
      {
        store: t.store,
        configs,
        processingPrefix: 'processing/',
      },
    );
    expect((await readParts(t.store, rewritten.targets[0]!))[0]!.key).toMatch(/^processing\/run-r\//);
  });

  it('refuses to cut a newer upload under the same name into the run’s parts (a re-run after a crash): nothing written', async () => {
    const cfg = fileConfig({ header: { lines: 1, columns: ['id', 'name', 'amount'] } });
    const first = await t.put('in/r.csv', 'id,name,amount\n1,a,1\n');
    const validation = await validateFile(t.store, first, cfg);
    const { etag } = (await t.store.head(BUCKET, 'in/r.csv'))!;
    const run = {
      runId: 'run-x',
      bucket: BUCKET,
      key: 'in/r.csv',
      etag,
      configId: cfg.id,
      configVersion: 1,
    };
    await t.put('in/r.csv', 'id,name,amount\n7,z,7\n8,y,8\n');
    await expect(
      prepareLoad(
        { run: run as never, validation },
        { store: t.store, configs: { get: async () => cfg } as never, processingPrefix: 'processing/' },
      ),
    ).rejects.toMatchObject({
      name: 'ObjectNotFound',
      message: expect.stringContaining('was replaced by different content after run run-x started'),
    });
    expect(await t.keys('processing/run-x/')).toEqual([]);
  });

  it('loads the original as is: one uncompressed part, the original itself, with a one-entry manifest and no byte copied', async () => {
    const cfg = fileConfig();
    const obj = await t.put('in/plain.csv', '1,a,1\n2,b,2\n');
    const validation = await validateFile(t.store, obj, cfg);
    expect(validation.needsPreprocess).toBe(false);
    const prepared = await useOriginal(
      t.store,
      { runId: 'run-9', bucket: BUCKET, key: 'in/plain.csv' },
      validation,
      OPTS,
    );
    const part = {
      bucket: BUCKET,
      key: 'in/plain.csv',
      compression: 'none',
      bytes: obj.size,
      records: 2,
      firstRecord: 1,
    };
    expect(prepared).toEqual({
      targets: [
        {
          recordType: null,
          records: 2,
          partCount: 1,
          bytes: obj.size,
          partList: { bucket: BUCKET, key: 'processing/run-9/all/parts.json' },
          manifest: { bucket: BUCKET, key: 'processing/run-9/all/manifest.json' },
        },
      ],
      processingPrefix: 'processing/run-9/',
      skippedRecords: 0,
    });
    // COPY from the bare key would also load every key that starts with it: the manifest names exactly the original.
    const manifest = JSON.parse((await t.read('processing/run-9/all/manifest.json')).toString('utf8'));
    expect(manifest).toEqual({
      entries: [{ url: t.store.uri(BUCKET, 'in/plain.csv'), mandatory: true, meta: { content_length: obj.size } }],
    });
    expect(await readParts(t.store, prepared.targets[0]!)).toEqual([part]);
    expect(await t.keys('processing/run-9/')).toEqual([
      'processing/run-9/all/manifest.json',
      'processing/run-9/all/parts.json',
    ]);
  });
});
