import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../functions/lib/adapters/s3/object-store-s3.ts';
import { parseConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import type { MatchedRun } from '../../functions/lib/contract/payloads.ts';
import { fetchConfig } from '../../functions/lib/steps/fetch-config.ts';
import { validateRunFile } from '../../functions/lib/steps/validate-file.ts';
import { createHarness, type Harness } from './harness.ts';

/**
 * Content identity on the S3 adapter (docs/truth-model.md, "Same bytes again").
 * S3 gives a multipart upload the ETag md5(md5(part 1) … md5(part n)) + "-n",
 * so the same bytes uploaded with another part size have another ETag (s3rver
 * cannot show it: it answers the md5 of the whole object). The S3 client is
 * mocked to answer as S3 does; FetchConfig and ValidateFile run for real over
 * S3ObjectStore, with the real run log and content claims (PGlite).
 */
const BODY = Buffer.from(
  `id,sku,quantity\n${Array.from({ length: 2000 }, (_, i) => `${i + 1},SKU-${i % 7},${i % 5}`).join('\n')}\n`,
);

/** The ETag S3 gives BODY uploaded in parts of `partSize` bytes. */
function multipartEtag(partSize: number): string {
  const md5s: Buffer[] = [];
  for (let at = 0; at < BODY.length; at += partSize) {
    md5s.push(
      createHash('md5')
        .update(BODY.subarray(at, at + partSize))
        .digest(),
    );
  }
  return `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${md5s.length}`;
}

describe('content identity on S3: the same bytes uploaded with another multipart part size', () => {
  let h: Harness;
  const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
  const s3 = mockClient(client);
  const store = new S3ObjectStore(client);
  const uploads = { 'landing/ident_1.csv': multipartEtag(5 * 1024), 'landing/ident_2.csv': multipartEtag(8 * 1024) };

  beforeAll(async () => {
    h = await createHarness('pglite', null);
    const [config] = parseConfigYaml(
      [
        'interface: ident',
        'files:',
        '  - id: ident.daily',
        '    match: { glob: "ident_*.csv" }',
        '    header: { lines: 1 }',
        '    target: { schema: stage, table: ident }',
        '    columns: [id, sku, quantity]',
      ].join('\n'),
      'ident.yaml',
    );
    await h.apply([config!]);
    for (const [key, etag] of Object.entries(uploads)) {
      s3.on(HeadObjectCommand, { Key: key }).resolves({
        ContentLength: BODY.length,
        ETag: `"${etag}"`,
        LastModified: new Date(),
      });
      // A fresh stream of the same bytes for every read.
      s3.on(GetObjectCommand, { Key: key }).callsFake(() => ({ Body: Readable.from([BODY]) }));
    }
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('claims the content by the hash of its bytes: of two runs at once exactly one owns it, the other is told to skip', async () => {
    const [a, b] = Object.values(uploads);
    expect(a).not.toBe(b);
    const runs = await h.rt.runs();
    const configs = await h.rt.configs();
    const ports = { store, runs, configs, prefixes: h.rt.settings.prefixes };
    const started = new Date().toISOString();
    const contexts = await Promise.all(
      Object.entries(uploads).map(([key, etag], i) =>
        fetchConfig(
          {
            bucket: 'efi-bucket',
            key,
            etag,
            size: BODY.length,
            reload: false,
            executionId: `exec-ident-${i}`,
            runId: `ident-${i}`,
            startedAt: started,
          },
          ports,
        ),
      ),
    );
    // Different ETags: FetchConfig's fast path sees two contents; both go on to ValidateFile.
    expect(contexts.map((c) => c.skip)).toEqual([false, false]);
    const results = await Promise.all(contexts.map((run) => validateRunFile({ run: run as MatchedRun }, ports)));
    const sha = createHash('sha256').update(BODY).digest('hex');
    expect(results.map((r) => r.contentSha256)).toEqual([sha, sha]);
    expect(results.filter((r) => r.skip)).toHaveLength(1);
    const loser = contexts[results.findIndex((r) => r.skip)]!;
    const winner = contexts[results.findIndex((r) => !r.skip)]!;
    const row = await runs.get(loser.runId);
    expect(row?.skipReason).toContain(`run ${winner.runId} is loading the same content (${winner.key})`);
    expect(await runs.contentOwner({ configId: 'ident.daily', etag: `sha256:${sha}`, sizeBytes: BODY.length })).toBe(
      winner.runId,
    );
    // Every byte was read through the S3 adapter, once per run.
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
  });
});
