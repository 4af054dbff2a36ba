import type { ArchiveResult, CatchError, RunContext } from '../contract/payloads.ts';
import { type ArchivePorts, moveOriginal } from './archive.ts';

/**
 * RejectFile: the file itself is wrong (a rejected-content error was caught):
 * move it to rejected/ and delete its processing parts. The remedy is a
 * corrected file, so the run never needs the original in landing again.
 */
export function rejectFile(input: { run: RunContext; error: CatchError }, ports: ArchivePorts): Promise<ArchiveResult> {
  return moveOriginal(input.run, 'rejected', ports);
}
