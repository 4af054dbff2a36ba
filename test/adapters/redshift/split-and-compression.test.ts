import 'aws-sdk-client-mock-vitest/extend';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchExecuteStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../functions/lib/adapters/fs/object-store-fs.ts';
import {
  isCountStatement,
  parseMarker,
  renderLoadStatements,
} from '../../../functions/lib/adapters/redshift/redshift-copy-sql.ts';
import { RedshiftDataWarehouse } from '../../../functions/lib/adapters/redshift/redshift-warehouse.ts';
import { loadConfigFiles } from '../../../functions/lib/config/load-yaml.ts';
import type { FileConfig } from '../../../functions/lib/config/model.ts';
import type { LoadSpec } from '../../../functions/lib/ports/warehouse.ts';
import { buildLoadSpec, clientToken } from '../../../functions/lib/steps/load-spec.ts';
import { preprocess } from '../../../functions/lib/steps/preprocess.ts';
import { withParts } from '../../../functions/lib/steps/processing.ts';
import { validateFile } from '../../../functions/lib/steps/validate-file.ts';
import { ROLE_ARN } from './fixtures.ts';

/**
 * Redshift COPY renderings of real sample feeds: the checked-in file and its
 * checked-in YAML config go through the real ValidateFile and Preprocess (fs
 * object store), then buildLoadSpec and the Redshift renderer. A change to
 * any of them that alters the SQL sent to Redshift shows up as a golden diff.
 * EFI_UPDATE_GOLDEN=1 rewrites the goldens; review each diff.
 */

const SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../samples');
const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env['EFI_UPDATE_GOLDEN'] === '1';
const BUCKET = 'efi-data';
const RUN_ID = 'run-20261122-0001';

let root: string;
let store: FsObjectStore;
let configs: FileConfig[];

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'efi-rs-split-'));
  store = new FsObjectStore(root);
  configs = (await loadConfigFiles([path.join(SAMPLES, 'configs')])).configs;
});

afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

function config(id: string): FileConfig {
  const c = configs.find((x) => x.id === id);
  if (!c) throw new Error(`sample config ${id} not found`);
  return c;
}

/** Lands a sample file and runs it through ValidateFile and Preprocess to its load spec. */
async function specFor(file: string, configId: string, runId = RUN_ID): Promise<LoadSpec> {
  const key = `landing/${file}`;
  await store.put(BUCKET, key, fs.createReadStream(path.join(SAMPLES, 'files', file)));
  const size = (await store.head(BUCKET, key))!.size;
  const cfg = config(configId);
  const validation = await validateFile(store, { bucket: BUCKET, key, size }, cfg);
  const prepared = await preprocess(store, { runId, bucket: BUCKET, key }, cfg, validation, {
    processingPrefix: 'processing/',
  });
  return buildLoadSpec(
    cfg,
    { runId, sourceFile: store.uri(BUCKET, key) },
    { ...prepared, targets: await withParts(store, prepared.targets) },
  );
}

function render(spec: LoadSpec): string {
  return `${renderLoadStatements(spec, { iamRoleArn: ROLE_ARN }).join(';\n\n')};\n`;
}

async function expectGolden(name: string, actual: string): Promise<void> {
  const file = path.join(GOLDEN_DIR, `${name}.sql`);
  if (UPDATE) await fsp.writeFile(file, actual);
  expect(actual).toBe(await fsp.readFile(file, 'utf8'));
}

async function manifestUrls(spec: LoadSpec, target: number): Promise<string[]> {
  const m = spec.targets[target]!.manifest!;
  const body = await new Response((await store.get(m.bucket, m.key)) as unknown as ReadableStream<Uint8Array>).text();
  return (JSON.parse(body) as { entries: { url: string }[] }).entries.map((e) => e.url);
}

describe('Redshift rendering of a two-target split load (orders: 01 headers, 02 lines)', () => {
  let spec: LoadSpec;
  beforeAll(async () => {
    spec = await specFor('orders_20261122.txt', 'orders.daily');
  });

  it('matches the golden', async () => {
    await expectGolden('split-orders-two-targets', render(spec));
  });

  it('has one target per record type, each from its own manifest of its own gzip parts', async () => {
    expect(spec.targets.map((t) => [t.recordType, `${t.target.schema}.${t.target.table}`])).toEqual([
      ['01', 'stage.order_header'],
      ['02', 'stage.order_line'],
    ]);
    expect(spec.targets.map((t) => t.parts.reduce((n, p) => n + p.records, 0))).toEqual([120, 282]);
    for (const [i, type] of ['01', '02'].entries()) {
      const t = spec.targets[i]!;
      expect(t.manifest).toEqual({ bucket: BUCKET, key: `processing/${RUN_ID}/${type}/manifest.json` });
      expect(t.parts.every((p) => p.compression === 'gzip')).toBe(true);
      expect(await manifestUrls(spec, i)).toEqual(t.parts.map((p) => `s3://${BUCKET}/${p.key}`));
      expect(t.parts.every((p) => p.key.startsWith(`processing/${RUN_ID}/${type}/`))).toBe(true);
    }
  });

  it('orders the statements stage, COPY, DELETE of this run, INSERT with lineage, target by target', () => {
    const sqls = renderLoadStatements(spec, { iamRoleArn: ROLE_ARN });
    // The last statement counts the stage tables (no target marker of its own).
    expect(isCountStatement(sqls.at(-1))).toBe(true);
    expect(
      sqls
        .slice(0, -1)
        .map((s) => parseMarker(s))
        .map((m) => `${m!.target}:${m!.step}:${m!.recordType}`),
    ).toEqual([
      '0:stage:01',
      '0:copy:01',
      '0:delete:01',
      '0:insert:01',
      '1:stage:02',
      '1:copy:02',
      '1:delete:02',
      '1:insert:02',
    ]);
    expect(sqls[1]).toContain(`FROM 's3://${BUCKET}/processing/${RUN_ID}/01/manifest.json'`);
    expect(sqls[5]).toContain(`FROM 's3://${BUCKET}/processing/${RUN_ID}/02/manifest.json'`);
    expect(sqls[2]).toContain(`DELETE FROM "stage"."order_header" WHERE "efi_run_id" = '${RUN_ID}'`);
    expect(sqls[7]).toContain(
      `SELECT "record_type", "order_id", "line_no", "sku", "quantity", "unit_price", 's3://${BUCKET}/landing/orders_20261122.txt', '${RUN_ID}', GETDATE() FROM "efi_stage_1"`,
    );
  });

  it('is submitted as ONE BatchExecuteStatement (one Redshift transaction) holding both targets', async () => {
    const client = new RedshiftDataClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const rs = mockClient(client);
    try {
      rs.on(BatchExecuteStatementCommand).resolves({ Id: 'load-1' });
      const wh = new RedshiftDataWarehouse(
        client,
        {
          clusterIdentifier: 'efi-cluster',
          workgroupName: null,
          database: 'dev',
          dbUser: 'efi_loader',
          secretArn: null,
        },
        { iamRoleArn: ROLE_ARN, region: null },
        { pollDelayMs: 0 },
      );
      await expect(wh.submitLoad(spec, clientToken(RUN_ID, 'load', 0))).resolves.toEqual({ statementId: 'load-1' });
      expect(rs).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 1);
      const sent = rs.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input;
      expect(sent.Sqls).toEqual(renderLoadStatements(spec, { iamRoleArn: ROLE_ARN }));
      expect(new Set(sent.Sqls!.slice(0, -1).map((s) => parseMarker(s)!.table.table))).toEqual(
        new Set(['order_header', 'order_line']),
      );
    } finally {
      rs.restore();
    }
  });
});

describe('Redshift rendering of compressed feeds', () => {
  it('loads a zstd original from the gzip parts Preprocess wrote, never the zstd object (golden)', async () => {
    const spec = await specFor('shipments_20261123.csv.zst', 'logistics.shipments_zstd', 'run-20261123-0002');
    expect(spec.targets).toHaveLength(1);
    expect(spec.targets[0]!.parts.every((p) => p.compression === 'gzip' && p.key.endsWith('.gz'))).toBe(true);
    expect(spec.targets[0]!.parts.reduce((n, p) => n + p.records, 0)).toBe(500);
    const copy = renderLoadStatements(spec, { iamRoleArn: ROLE_ARN })[1]!;
    expect(copy).toMatch(/\nGZIP\n/);
    // The original's key appears only as the lineage value, never as a COPY source.
    expect(copy).not.toMatch(/ZSTD|\.zst'/);
    await expectGolden('zstd-feed-gzip-parts', render(spec));
  });

  it('loads a bzip2 original the same way: gzip parts through a manifest', async () => {
    const spec = await specFor('shipments_20261122.csv.bz2', 'logistics.shipments_bzip2', 'run-20261122-0003');
    const copy = renderLoadStatements(spec, { iamRoleArn: ROLE_ARN })[1]!;
    expect(copy).toContain(`FROM 's3://${BUCKET}/processing/run-20261122-0003/all/manifest.json'`);
    expect(copy).toMatch(/\nMANIFEST\n/);
    expect(copy).toMatch(/\nGZIP\n/);
    expect(copy).not.toMatch(/BZIP2|\.bz2'/);
    expect(spec.targets[0]!.parts.reduce((n, p) => n + p.records, 0)).toBe(600);
  });
});
