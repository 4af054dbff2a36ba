import { beforeEach, describe, expect, it } from 'vitest';
import { ObjectNotFound } from '../../functions/lib/errors.ts';
import { decideDuplicate, type FetchConfigInput, fetchConfig } from '../../functions/lib/steps/fetch-config.ts';
import { fileConfig } from '../support/config-builder.ts';
import { MemoryConfigSource, MemoryObjectStore, MemoryRunLog } from '../support/fakes/index.ts';

const BUCKET = 'bucket';
const rejectedError = { name: 'HeaderMismatch', message: 'bad header', state: 'ValidateFile' };
const operationalError = { name: 'LoadFailed', message: 'no table', state: 'CheckLoad' };

describe('decideDuplicate: what a run does when another run owns the claim on the same content', () => {
  it('skips a file a FINISHED run loaded, archives the copy, and says how to reload', () => {
    const d = decideDuplicate('run-1', { status: 'FINISHED', error: null }, false);
    expect(d.takeOver).toBe(false);
    expect(d.skip).toEqual({
      reason: 'duplicate: run run-1 already loaded this file; ingest with --reload to load it again',
      archiveDuplicate: true,
    });
  });

  it('takes the claim over from a FINISHED run on a reload', () => {
    expect(decideDuplicate('run-1', { status: 'FINISHED', error: null }, true).takeOver).toBe(true);
  });

  it('takes the claim over from a run whose file was rejected: the same bytes sent again get a fresh run', () => {
    expect(decideDuplicate('run-1', { status: 'FAILED', error: rejectedError }, false).takeOver).toBe(true);
  });

  it('leaves an operationally FAILED or ABORTED run its file and points at redrive', () => {
    for (const status of ['FAILED', 'ABORTED'] as const) {
      const d = decideDuplicate('run-1', { status, error: status === 'FAILED' ? operationalError : null }, true);
      expect(d.takeOver).toBe(false);
      expect(d.skip).toEqual({
        reason: `duplicate: run run-1 already took this file (${status}); redrive it (efi redrive run-1) or send a corrected file`,
        archiveDuplicate: false,
      });
    }
  });

  it('leaves a run in flight its file, even on a reload, and does not move the copy', () => {
    const d = decideDuplicate('run-1', { status: 'RUNNING', error: null }, true);
    expect(d).toEqual({
      takeOver: false,
      skip: { reason: 'duplicate: run run-1 already took this file (RUNNING)', archiveDuplicate: false },
    });
  });

  it('says unknown when the owning run has no row', () => {
    expect(decideDuplicate('run-1', null, false)).toEqual({
      takeOver: false,
      skip: { reason: 'duplicate: run run-1 already took this file (unknown)', archiveDuplicate: false },
    });
  });
});

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
    expect(second.skipReason).toBe('duplicate: run run-1 already took this file (RUNNING)');
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
      'same content as landing/in/a.csv already loaded by run run-1; ingest with --reload (or set duplicates: reload) to load it again',
    );
  });

  it('loads a reload of a loaded file, taking the claim over', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await finish('run-1');
    expect(await fetchConfig(event('run-2', 'landing/in/a.csv', true), ports())).toMatchObject({ skip: false });
    // The claim moved: a third event defers to the reload, not to the first run.
    const third = await fetchConfig(event('run-3', 'landing/in/a.csv'), ports());
    expect(third.skipReason).toBe('duplicate: run run-2 already took this file (RUNNING)');
  });

  it('loads again when the config says duplicates: reload, same name or new name', async () => {
    configs.apply(fileConfig({ id: 'sales.daily', interface: 'sales', duplicates: 'reload' }));
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await finish('run-1');
    await store.put(BUCKET, 'landing/in/a-copy.csv', 'id,name,amount\n1,Ann,3\n');
    expect((await fetchConfig(event('run-2', 'landing/in/a.csv'), ports())).skip).toBe(false);
    expect((await fetchConfig(event('run-3', 'landing/in/a-copy.csv'), ports())).skip).toBe(false);
  });

  it('loads the same bytes sent again after a rejection', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await runs.recordError('run-1', rejectedError, 'ValidateFile');
    await runs.update('run-1', { status: 'FAILED', finished: true });
    expect(await fetchConfig(event('run-2', 'landing/in/a.csv'), ports())).toMatchObject({ skip: false });
  });

  it('leaves an operationally failed run its file: the remedy is a redrive', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    await runs.recordError('run-1', operationalError, 'CheckLoad');
    await runs.update('run-1', { status: 'FAILED', finished: true });
    const second = await fetchConfig(event('run-2', 'landing/in/a.csv', true), ports());
    expect(second).toMatchObject({ skip: true, archiveDuplicate: false });
    expect(second.skipReason).toContain('efi redrive run-1');
  });

  it('is idempotent: the same execution run twice is not its own duplicate', async () => {
    await fetchConfig(event('run-1', 'landing/in/a.csv'), ports());
    expect((await fetchConfig(event('run-1', 'landing/in/a.csv'), ports())).skip).toBe(false);
  });
});
