import path from 'node:path/posix';
import type { ArchiveResult, RunContext } from '../contract/payloads.ts';
import { ObjectNotFound } from '../errors.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { RunLog } from '../ports/run-log.ts';
import type { Settings } from '../settings.ts';
import { assertNotSuperseded } from './content-claim.ts';
import { originalNow, originalReplaced } from './original-object.ts';
import { runFolder } from './processing.ts';

export interface ArchivePorts {
  store: ObjectStore;
  runs: RunLog;
  prefixes: Settings['prefixes'];
  /** IANA zone of the archive date folders. */
  timeZone: string;
}

/** `yyyy/mm/dd` of an instant in the configured time zone (archive folders follow the business day). */
export function datePath(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  return `${get('year')}/${get('month')}/${get('day')}`;
}

/**
 * Moves the original out of the landing prefix (to archive/ after a load, to
 * rejected/ after a rejection) and deletes the run's processing parts.
 * Idempotent: "already moved" is done, and a name clash with a different file
 * on the same day never overwrites it.
 */
export async function moveOriginal(
  run: RunContext,
  to: 'archive' | 'rejected',
  ports: ArchivePorts,
): Promise<ArchiveResult> {
  const { store, prefixes, timeZone } = ports;
  const folder = `${prefixes[to]}${run.interface ?? '_unmatched'}/${datePath(new Date(run.startedAt), timeZone)}/`;
  const base = path.basename(run.key);
  let dest = `${folder}${base}`;

  const src = await originalNow(run, store);
  const existing = await store.head(run.bucket, dest);
  if (existing && existing.etag !== run.etag) dest = `${folder}${run.runId}-${base}`;

  if (src.state !== 'gone') {
    if (src.state === 'replaced') {
      // A new file with the same name landed after this run started: leave it for its own run.
      throw originalReplaced(run, 'the loaded version is no longer there to move. Archive it by hand if needed.');
    }
    if (store.move) await store.move({ bucket: run.bucket, key: run.key }, { bucket: run.bucket, key: dest });
    else {
      await store.copy({ bucket: run.bucket, key: run.key }, { bucket: run.bucket, key: dest });
      await store.delete(run.bucket, run.key);
    }
  } else if (!(await store.head(run.bucket, dest))) {
    throw new ObjectNotFound(
      `s3://${run.bucket}/${run.key} is gone and no copy is in ${folder}: it was moved or deleted by something else`,
    );
  }
  const partsDeleted = await store.deletePrefix(run.bucket, runFolder(prefixes.processing, run.runId));
  const movedTo = store.uri(run.bucket, dest);
  await ports.runs.update(run.runId, { archivedTo: movedTo });
  return { movedTo, partsDeleted };
}

/**
 * Archive (and ArchiveDuplicate): the original goes to archive/, its processing
 * parts are deleted. After a load (Archive gets `$.prepared`; ArchiveDuplicate
 * does not, its run owns nothing), a redrive resuming here after a later
 * `--reload` replaced the run's rows fails RunSuperseded before anything moves.
 */
export async function archive(
  input: { run: RunContext; prepared?: unknown },
  ports: ArchivePorts,
): Promise<ArchiveResult> {
  const { run } = input;
  if (input.prepared !== undefined && run.configId !== null) {
    await assertNotSuperseded({ ...run, configId: run.configId }, ports.runs);
  }
  return moveOriginal(run, 'archive', ports);
}
