import type { RunContext } from '../contract/payloads.ts';
import { ObjectNotFound } from '../errors.ts';
import type { ObjectInfo, ObjectStore } from '../ports/object-store.ts';

/**
 * The run's original in landing, as the store holds it now, against the version
 * the run matched (FetchConfig's ETag). A new upload under the same name replaces
 * the object while an earlier run of that name is FAILED and waits for a redrive:
 * the new bytes belong to the new upload's own run, never to the earlier one.
 */
export type OriginalNow =
  | { state: 'same'; info: ObjectInfo }
  | { state: 'replaced'; info: ObjectInfo }
  | { state: 'gone' };

export async function originalNow(
  run: Pick<RunContext, 'bucket' | 'key' | 'etag'>,
  store: ObjectStore,
): Promise<OriginalNow> {
  const info = await store.head(run.bucket, run.key);
  if (!info) return { state: 'gone' };
  // A run without an ETag (an event that carried none) has no version to hold the object to.
  return { state: run.etag && info.etag !== run.etag ? 'replaced' : 'same', info };
}

/**
 * Throws ObjectNotFound unless landing still holds the version of the original
 * the run matched; `reads` says what the state would have done with other
 * bytes (e.g. "this run loads it in place").
 */
export async function assertOriginalUnchanged(
  run: Pick<RunContext, 'bucket' | 'key' | 'etag' | 'runId'>,
  store: ObjectStore,
  reads: string,
): Promise<void> {
  const now = await originalNow(run, store);
  if (now.state === 'replaced') {
    throw originalReplaced(
      run,
      `${reads}, so it would take the new bytes as its own: nothing of it is loaded. The new file is its own run's to load (efi runs --file NAME); this run has nothing left to load.`,
    );
  }
  if (now.state === 'gone') {
    throw new ObjectNotFound(
      `s3://${run.bucket}/${run.key} is gone (moved or deleted after run ${run.runId} started); ${reads}: nothing of it is loaded. Put the same file back under that key, then redrive.`,
    );
  }
}

/** The error for an original replaced after the run started; `consequence` says what that means at the state. */
export function originalReplaced(
  run: Pick<RunContext, 'bucket' | 'key' | 'runId'>,
  consequence: string,
): ObjectNotFound {
  return new ObjectNotFound(
    `s3://${run.bucket}/${run.key} was replaced by different content after run ${run.runId} started; ${consequence}`,
  );
}
