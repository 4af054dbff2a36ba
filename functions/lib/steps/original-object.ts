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

/** The error for an original replaced after the run started; `consequence` says what that means at the state. */
export function originalReplaced(
  run: Pick<RunContext, 'bucket' | 'key' | 'runId'>,
  consequence: string,
): ObjectNotFound {
  return new ObjectNotFound(
    `s3://${run.bucket}/${run.key} was replaced by different content after run ${run.runId} started; ${consequence}`,
  );
}
