/**
 * In-memory fakes of the ports, for step unit tests (test/steps/). Each fake
 * that stands for stored state passes its port's contract suite in test/ports/.
 */
export { MemoryConfigSource } from './memory-config-source.ts';
export { MemoryObjectStore } from './memory-object-store.ts';
export { MemoryRunLog } from './memory-run-log.ts';
export { RecordingNotifier } from './recording-notifier.ts';
export { type LoggedStatement, ScriptedWarehouse } from './scripted-warehouse.ts';
