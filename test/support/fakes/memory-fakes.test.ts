import { objectStoreContract } from '../../ports/object-store.contract.ts';
import { runLogContract } from '../../ports/run-log.contract.ts';
import { MemoryObjectStore } from './memory-object-store.ts';
import { MemoryRunLog } from './memory-run-log.ts';

// The fakes the step unit tests use behave like the real adapters: same contract suites.
objectStoreContract('MemoryObjectStore (test fake)', async () => ({
  store: new MemoryObjectStore(),
  bucket: 'contract',
  cleanup: async () => {},
}));

runLogContract('MemoryRunLog (test fake)', async () => ({ runs: new MemoryRunLog(), cleanup: async () => {} }));
