import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../functions/lib/adapters/fs/object-store-fs.ts';
import { ObjectNotFound } from '../../../functions/lib/errors.ts';

describe('FsObjectStore and symbolic links in a local bucket', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-fs-link-'));
    fs.mkdirSync(path.join(root, 'b', 'landing'), { recursive: true });
    fs.symlinkSync('/etc/passwd', path.join(root, 'b', 'landing', 'members_20261122.csv'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('head and get refuse a link, naming it, instead of reading its target', async () => {
    const store = new FsObjectStore(root);
    const key = 'landing/members_20261122.csv';
    await expect(store.head('b', key)).rejects.toThrow(/members_20261122\.csv is a symbolic link/);
    const err = await store.get('b', key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectNotFound);
    expect((err as Error).message).toMatch(/does not follow links/);
  });
});
