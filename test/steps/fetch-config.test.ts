import { beforeEach, describe, expect, it } from 'vitest';
import { ObjectNotFound } from '../../functions/lib/errors.ts';
import {
  type ClaimOwner,
  type DuplicatePolicy,
  decideDuplicate,
  type FetchConfigInput,
  fetchConfig,
} from '../../functions/lib/steps/fetch-config.ts';
import { fileConfig } from '../support/config-builder.ts';
import { MemoryConfigSource, MemoryObjectStore, MemoryRunLog } from '../support/fakes/index.ts';

const policy = (p: Partial<DuplicatePolicy> = {}): DuplicatePolicy => ({
  reload: false,
  reloadMode: 'replace',
  hasRunIdLineage: true,
  key: 'landing/b.csv',
  ...p,
});
const owner = (status: NonNullable<ClaimOwner['prior']>['status'], o: Partial<ClaimOwner> = {}): ClaimOwner => ({
  runId: 'r1',
  prior: { status, error: null, key: 'landing/a.csv' },
  replaces: [],
  ...o,
});

describe('decideDuplicate: who loads content another run has claimed', () => {
  it('skips while the owner is in flight, naming it, and keeps the copy in landing (even with --reload)', () => {
    for (const reload of [false, true]) {
      const d = decideDuplicate(owner('RUNNING'), policy({ reload }));
      expect(d.takeOver).toBe(false);
      if (d.takeOver) return;
      expect(d.skip.reason).toMatch(/run r1 is loading the same content \(landing\/a\.csv\) — in flight, wait/);
      expect(d.skip.archiveDuplicate).toBe(false);
    }
  });

  it('skips a failed or aborted owner with "redrive it"; --reload takes over and replaces its lineage', () => {
    for (const status of ['FAILED', 'ABORTED'] as const) {
      const d = decideDuplicate(owner(status), policy());
      expect(d.takeOver).toBe(false);
      if (!d.takeOver) expect(d.skip.reason).toMatch(/redrive it \(efi redrive r1\)/);
    }
    expect(decideDuplicate(owner('FAILED', { replaces: ['r0'] }), policy({ reload: true }))).toEqual({
      takeOver: true,
      replaceRunIds: ['r0', 'r1'],
    });
  });

  it('gives the same bytes a fresh run after a rejection (its file can never be redriven)', () => {
    const rejected = owner('FAILED', {
      prior: { status: 'FAILED', key: 'landing/a.csv', error: { name: 'TrailerMismatch', message: '', state: null } },
    });
    expect(decideDuplicate(rejected, policy())).toEqual({ takeOver: true, replaceRunIds: [] });
  });

  it('skips and archives a copy of loaded content; says "this file" for the same name', () => {
    const d = decideDuplicate(owner('FINISHED'), policy({ key: 'landing/a.csv' }));
    expect(d).toMatchObject({ takeOver: false, skip: { archiveDuplicate: true } });
    if (!d.takeOver) expect(d.skip.reason).toMatch(/run r1 already loaded this file; ingest with --reload/);
  });

  it('--reload of loaded content replaces only the FINISHED owner’s rows (its own replacements are committed)', () => {
    expect(decideDuplicate(owner('FINISHED', { replaces: ['r0'] }), policy({ reload: true }))).toEqual({
      takeOver: true,
      replaceRunIds: ['r1'],
    });
  });

  it('refuses --reload when rows cannot be found by run id, unless reloadMode: append', () => {
    const refused = decideDuplicate(owner('FINISHED'), policy({ reload: true, hasRunIdLineage: false }));
    expect(refused.takeOver).toBe(false);
    if (!refused.takeOver) {
      expect(refused.skip.reason).toMatch(/--reload refused: .*lineage\.runId.*reloadMode: append/);
      expect(refused.skip.archiveDuplicate).toBe(false);
    }
    expect(
      decideDuplicate(owner('FINISHED'), policy({ reload: true, hasRunIdLineage: false, reloadMode: 'append' })),
    ).toEqual({ takeOver: true, replaceRunIds: [] });
  });
});

const BUCKET = 'bucket';
const rejectedError = { name: 'HeaderMismatch', message: 'bad header', state: 'ValidateFile' };
const operationalError = { name: 'LoadFailed', message: 'no table', state: 'CheckLoad' };

describe('fetchConfig over in-memory ports', () => {
  let store: MemoryObjectStore;
  let runs: MemoryRunLog;
  let configs: MemoryConfigSource;
  const ports = () => ({ store, runs, configs, prefixes: { landing: 'landing/' } });

  const event = (runId: string, key: string, reload = false): FetchConfigInput => ({
    bucket: BUCKET,
    key,
    etag: null,
    size: null,
    reload,
    executionId: `arn:exec:${runId}`,
    runId,
    startedAt: '2026-11-24T10:00:00.000Z',
  });
  const finish = (runId: string) => runs.update(runId, { status: 'FINISHED', finished: true });

  beforeEach(async () => {
    store = new MemoryObjectStore();
    runs = new MemoryRunLog();
    configs = new MemoryConfigSource([fileConfig({ id: 'sales.daily', interface: 'sales' })]);
    await store.put(BUCKET, 'landing/in/a.csv', 'id,name,amount\n1,Ann,3\n');
  });

  it('registers the run and matches the key to its config at the current version', async () => {
    configs.apply(fileConfig({ id: 'sales.daily', interface: 'sales', description: 'v2' }));
    const ctx = await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    expect(ctx).toMatchObject({
      runId: 'run-1',
      configId: 'sales.daily',
      configVersion: 2,
      interface: 'sales',
      skip: false,
      size: 23,
      etag: (await store.head(BUCKET, 'landing/in/a.csv'))!.etag,
    });
    expect(await runs.get('run-1')).toMatchObject({ configId: 'sales.daily', interface: 'sales', status: 'RUNNING' });
  });

  it('skips the second execution of the same event while the first is in flight, leaving the file to it', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    const second = await fetchConfig(event('run-2', 'landing/in/a.csv'), ports());
    expect(second).toMatchObject({ skip: true, archiveDuplicate: false, hasTransform: false });
    expect(second.skipReason).toBe('duplicate: run run-1 is loading this file — in flight, wait for it to finish');
    expect((await runs.get('run-2'))!.skipReason).toBe(second.skipReason);
  });

  it('skips a late duplicate event for a file the first run already moved, unmatched', async () => {
    const first = await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await finish('run-1');
    await store.delete(BUCKET, 'landing/in/a.csv');
    const late = await fetchConfig({ ...event('run-2', 'landing/in/a.csv'), etag: first.etag }, ports());
    expect(late).toMatchObject({ skip: true, configId: null, configVersion: null, archiveDuplicate: false });
    expect(late.skipReason).toBe('duplicate event: run run-1 already took this file (FINISHED)');
  });

  it('a key no config matches fails NoConfigMatch saying what to do: apply a config, then redrive this run', async () => {
    await store.put(BUCKET, 'landing/other.txt', 'x\n');
    const failed = fetchConfig(event('run-1', 'landing/other.txt'), ports());
    await expect(failed).rejects.toMatchObject({ name: 'NoConfigMatch' });
    await expect(failed).rejects.toThrow(/Add a config with `efi config apply`, then redrive: efi redrive run-1$/);
  });

  it('a key two configs match fails AmbiguousConfigMatch saying to redrive this run once one is left', async () => {
    configs.apply(fileConfig({ id: 'sales.other', interface: 'sales' }));
    const failed = fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await expect(failed).rejects.toMatchObject({ name: 'AmbiguousConfigMatch' });
    await expect(failed).rejects.toThrow(/apply with `efi config apply`, then redrive: efi redrive run-1$/);
  });

  it('fails with ObjectNotFound when the object is gone and no run claimed it', async () => {
    await expect(fetchConfig(event('run-1', 'landing/in/gone.csv'), ports())).rejects.toBeInstanceOf(ObjectNotFound);
  });

  it('skips the same event after the first run loaded it, and archives the copy', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await finish('run-1');
    const again = await fetchConfig(event('run-2', 'landing/in/a.csv'), ports());
    expect(again).toMatchObject({ skip: true, archiveDuplicate: true });
    expect(again.skipReason).toContain('--reload');
  });

  it('skips the same content under a new name once a run of the same config loaded it', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await finish('run-1');
    await store.put(BUCKET, 'landing/in/a-copy.csv', 'id,name,amount\n1,Ann,3\n');
    const copy = await fetchConfig(event('run-2', 'landing/in/a-copy.csv'), ports());
    expect(copy).toMatchObject({ skip: true, archiveDuplicate: true });
    expect(copy.skipReason).toBe(
      "duplicate: run run-1 already loaded the same content (landing/in/a.csv); ingest with --reload (or set duplicates: reload) to replace its rows with this copy's",
    );
  });

  it('loads a reload of a loaded file, taking the claim over', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await finish('run-1');
    expect(await fetchConfig(event('run-2', 'landing/in/a.csv', true), ports())).toMatchObject({ skip: false });
    // The claim moved: a third event defers to the reload, not to the first run.
    const third = await fetchConfig(event('run-3', 'landing/in/a.csv'), ports());
    expect(third.skipReason).toBe('duplicate: run run-2 is loading this file — in flight, wait for it to finish');
  });

  it('loads again when the config says duplicates: reload, same name or new name', async () => {
    configs.apply(fileConfig({ id: 'sales.daily', interface: 'sales', duplicates: 'reload' }));
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await finish('run-1');
    await store.put(BUCKET, 'landing/in/a-copy.csv', 'id,name,amount\n1,Ann,3\n');
    expect(await fetchConfig(event('run-2', 'landing/in/a.csv'), ports())).toMatchObject({
      skip: false,
      replaceRunIds: ['run-1'],
    });
    await finish('run-2');
    expect(await fetchConfig(event('run-3', 'landing/in/a-copy.csv'), ports())).toMatchObject({
      skip: false,
      replaceRunIds: ['run-2'],
    });
  });

  it('loads the same bytes sent again after a rejection', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await runs.recordError('run-1', rejectedError, 'ValidateFile');
    await runs.update('run-1', { status: 'FAILED', finished: true });
    expect(await fetchConfig(event('run-2', 'landing/in/a.csv'), ports())).toMatchObject({ skip: false });
  });

  it('leaves an operationally failed run its file (the remedy is a redrive); --reload loads in its place', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await runs.recordError('run-1', operationalError, 'CheckLoad');
    await runs.update('run-1', { status: 'FAILED', finished: true });
    const second = await fetchConfig(event('run-2', 'landing/in/a.csv'), ports());
    expect(second).toMatchObject({ skip: true, archiveDuplicate: false });
    expect(second.skipReason).toContain('redrive it (efi redrive run-1)');
    expect(await fetchConfig(event('run-3', 'landing/in/a.csv', true), ports())).toMatchObject({
      skip: false,
      replaceRunIds: ['run-1'],
    });
    // The claim moved to run-3: run-1's redrive would find it gone (SubmitLoad checks).
    expect(await runs.contentOwner({ configId: 'sales.daily', etag: second.etag, sizeBytes: second.size })).toBe(
      'run-3',
    );
  });

  it('is idempotent: the same execution run twice is not its own duplicate', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    expect((await fetchConfig(event('run-1', 'landing/in/a.csv'), ports())).skip).toBe(false);
  });
});
