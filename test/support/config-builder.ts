import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FsObjectStore } from '../../functions/lib/adapters/fs/object-store-fs.ts';
import {
  DEFAULT_LINEAGE,
  DEFAULT_LOAD_OPTIONS,
  DEFAULT_MIN_SIZE_BYTES,
  DEFAULT_PART_BYTES,
  type FileConfig,
  type RecordLayout,
} from '../../functions/lib/config/model.ts';

export const BUCKET = 'landing';

type Patch = Omit<Partial<FileConfig>, 'format' | 'header' | 'load'> & {
  format?: Partial<FileConfig['format']>;
  header?: Partial<FileConfig['header']>;
  load?: Partial<FileConfig['load']>;
};

export function layout(recordType: string | null, columns: Array<string | [string, number]>): RecordLayout {
  return {
    recordType,
    target: { schema: 'stage', table: recordType ? `t_${recordType.toLowerCase()}` : 't_all' },
    columns: columns.map((c) => (Array.isArray(c) ? { name: c[0], width: c[1] } : { name: c })),
    lineage: DEFAULT_LINEAGE,
  };
}

/** A FileConfig with the model's defaults; tests and bench/ override only what they exercise. */
export function fileConfig(patch: Patch = {}): FileConfig {
  const { format, header, load, ...rest } = patch;
  return {
    id: 'test.feed',
    interface: 'test',
    description: null,
    active: true,
    match: { kind: 'glob', pattern: 'in/*.csv' },
    trailer: null,
    minSizeBytes: 0,
    maxSizeBytes: null,
    records: [layout(null, ['id', 'name', 'amount'])],
    split: null,
    partBytes: DEFAULT_PART_BYTES,
    duplicates: 'skip',
    transform: null,
    ...rest,
    format: {
      layout: 'delimited',
      delimiter: ',',
      quote: '"',
      escape: null,
      encoding: 'utf-8',
      compression: 'none',
      extensions: [],
      ...format,
    },
    header: { lines: 0, columns: null, ...header },
    load: { ...DEFAULT_LOAD_OPTIONS, ...load },
  };
}

export { DEFAULT_MIN_SIZE_BYTES };

export interface TempStore {
  store: FsObjectStore;
  root: string;
  put(key: string, body: string | Buffer): Promise<{ bucket: string; key: string; size: number }>;
  /** Reads a gzip part back as text. */
  gunzip(key: string): Promise<string>;
  read(key: string): Promise<Buffer>;
  keys(prefix: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function tempStore(): Promise<TempStore> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-core-'));
  const store = new FsObjectStore(root);
  return {
    store,
    root,
    async put(key, body) {
      const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      await store.put(BUCKET, key, buf);
      return { bucket: BUCKET, key, size: buf.length };
    },
    async read(key) {
      return fs.readFile(store.localPath(BUCKET, key));
    },
    async gunzip(key) {
      return gunzipSync(await fs.readFile(store.localPath(BUCKET, key))).toString('utf8');
    },
    async keys(prefix) {
      const out: string[] = [];
      for await (const o of store.list(BUCKET, prefix)) out.push(o.key);
      return out;
    },
    cleanup: () => fs.rm(root, { recursive: true, force: true }),
  };
}

/** Runs fn and returns the error it throws (fails the test if it does not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error & { line?: number; column?: number | string }> {
  try {
    await fn();
  } catch (e) {
    return e as Error & { line?: number; column?: number | string };
  }
  throw new Error('expected an error, none was thrown');
}
