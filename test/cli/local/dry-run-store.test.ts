import { describe, expect, it } from 'vitest';
import { DryRunStore } from '../../../cli/local/dry-run-store.ts';
import { objectStoreContract } from '../../ports/object-store.contract.ts';
import { MemoryObjectStore } from '../../support/fakes/index.ts';

const text = async (s: AsyncIterable<unknown>) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
};

// What the dry run writes behaves like any object store to the steps that write and read it.
objectStoreContract('DryRunStore (efi check) over an empty store', async () => ({
  store: new DryRunStore(new MemoryObjectStore()),
  bucket: 'contract',
  cleanup: async () => {},
}));

describe('DryRunStore: efi check writes nothing to the store it reads', () => {
  it('reads through to the base store, keeps writes in memory, and never changes the base', async () => {
    const base = new MemoryObjectStore();
    await base.put('b', 'landing/a.csv', '1,Ann\n2,Bob\n3,Cy\n');
    const dry = new DryRunStore(base);
    expect(await text(await dry.get('b', 'landing/a.csv'))).toBe('1,Ann\n2,Bob\n3,Cy\n');
    await dry.put('b', 'processing/efi-check/all/part-00000.gz', 'x');
    await dry.deletePrefix('b', 'landing/');
    await dry.delete('b', 'landing/a.csv');
    expect(base.keys('b')).toEqual(['landing/a.csv']);
    expect(await dry.head('b', 'processing/efi-check/all/part-00000.gz')).toMatchObject({ size: 1 });
  });

  it('serves a shadowed key (the first records of the original) instead of the base object, as a stream with no file', async () => {
    const base = new MemoryObjectStore();
    await base.put('b', 'landing/a.csv', '1,Ann\n2,Bob\n3,Cy\n');
    const dry = new DryRunStore(base);
    dry.shadow('b', 'landing/a.csv', Buffer.from('1,Ann\n'));
    expect(await text(await dry.get('b', 'landing/a.csv'))).toBe('1,Ann\n');
    expect(await dry.head('b', 'landing/a.csv')).toMatchObject({ size: 6 });
    expect(dry.localPath('b', 'landing/a.csv')).toBeNull();
    expect(await text(await base.get('b', 'landing/a.csv'))).toBe('1,Ann\n2,Bob\n3,Cy\n');
  });
});
