import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FsObjectStore } from '../../../functions/lib/adapters/fs/object-store-fs.ts';
import { objectStoreContract } from '../../ports/object-store.contract.ts';

objectStoreContract('FsObjectStore', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-fs-store-'));
  return {
    store: new FsObjectStore(root),
    bucket: 'efi-test',
    cleanup: () => fs.rm(root, { recursive: true, force: true }),
  };
});
