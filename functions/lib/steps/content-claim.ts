import type { FileConfig } from '../config/model.ts';
import type { MatchedRun } from '../contract/payloads.ts';
import { ContentClaimLost, errorKindOf, RunSuperseded } from '../errors.ts';
import type { ContentClaim, RunLog, RunRecord } from '../ports/run-log.ts';

/**
 * Content claims: which run owns a content (config + identity + size,
 * whatever the file's name), and what a run does when another owns it.
 * Two identities, one table (`efi.content_claims`, atomic by primary key):
 * the ETag, claimed by FetchConfig before any byte is read, and the SHA-256
 * of the bytes (`sha256:<hex>`), claimed by ValidateFile in the pass it makes
 * over every byte anyway, so the same bytes uploaded with another multipart
 * part size (another ETag) are still one content. A run loads only while it
 * owns every claim it took.
 */

/** A run that must not load: why, and whether its copy may be moved out of landing. */
export interface Skip {
  reason: string;
  /** The content is already loaded: this copy is a re-upload, safe to archive. */
  archiveDuplicate: boolean;
}

/** What the duplicate decision needs to know about the run that owns the content claim. */
export interface ClaimOwner {
  runId: string;
  /** The owner's run row; null when it is gone (never expected: treated as in flight). */
  prior: Pick<RunRecord, 'status' | 'error' | 'key'> | null;
  /** Run ids whose rows the owner's load replaces (its own reload lineage). */
  replaces: readonly string[];
}

/** How this run asked to treat a duplicate, and what its config allows. */
export interface DuplicatePolicy {
  /** `--reload` or `duplicates: reload`. */
  reload: boolean;
  /** `reloadMode` of the config: replace the earlier rows (default) or append a second copy. */
  reloadMode: 'replace' | 'append';
  /** Every target of the config has a run-id lineage column, so earlier rows can be found. */
  hasRunIdLineage: boolean;
  /** This run's file name, to say "this file" vs "the same content as <key>". */
  key: string;
}

export type DuplicateDecision = { takeOver: true; replaceRunIds: string[] } | { takeOver: false; skip: Skip };

/**
 * What to do when another run owns the claim on this content (config + ETag +
 * size, under any name). Pure: the caller reads the owner and performs the
 * take-over atomically (it may lose a race, and then decides again).
 *
 * - owner RUNNING: skip, "in flight — wait" (with or without --reload);
 * - owner FAILED with a rejection: its file is in rejected/ and can never be
 *   redriven, so the same bytes get a fresh run (take over, replace nothing);
 * - owner FAILED otherwise, or ABORTED: skip, "failed — redrive it"; with
 *   --reload take over (its redrive then finds the claim gone and stops),
 *   replacing its rows and those it was itself replacing;
 * - owner FINISHED: skip and archive the copy; with --reload take over and
 *   replace its rows — refused when a target has no run-id lineage column,
 *   unless `reloadMode: append`;
 * - owner SKIPPED (never expected: a skipped run holds no claim): take over.
 *
 * @example
 * decideDuplicate({ runId: 'r1', prior: { status: 'FINISHED', error: null, key: 'a.csv' }, replaces: [] },
 *   { reload: true, reloadMode: 'replace', hasRunIdLineage: true, key: 'b.csv' });
 * // { takeOver: true, replaceRunIds: ['r1'] }
 */
export function decideDuplicate(owner: ClaimOwner, policy: DuplicatePolicy): DuplicateDecision {
  const { runId, prior } = owner;
  const content = prior?.key === policy.key ? 'this file' : `the same content (${prior?.key ?? 'unknown file'})`;
  const skip = (reason: string, archiveDuplicate = false): DuplicateDecision => ({
    takeOver: false,
    skip: { reason: `duplicate: ${reason}`, archiveDuplicate },
  });
  const status = prior?.status ?? 'RUNNING';
  // A FINISHED owner's own replacements are committed; a failed one's are still to do.
  const lineage = status === 'FINISHED' ? [runId] : [...owner.replaces, runId];
  const replaceRunIds = policy.reloadMode === 'append' ? [] : [...new Set(lineage)];

  switch (status) {
    case 'RUNNING':
      return skip(
        `run ${runId} is loading ${content} — in flight, wait for it to finish${policy.reload ? ', then ingest with --reload to replace its rows' : ''}`,
      );
    case 'SKIPPED':
      return { takeOver: true, replaceRunIds: [] };
    case 'FAILED':
    case 'ABORTED': {
      if (status === 'FAILED' && errorKindOf(prior?.error?.name ?? '') === 'rejected') {
        return { takeOver: true, replaceRunIds: [] };
      }
      if (policy.reload) return { takeOver: true, replaceRunIds };
      return skip(
        `run ${runId} took ${content} and ${status === 'FAILED' ? 'failed' : 'was aborted'} — redrive it (efi redrive ${runId}), or ingest this copy with --reload to load it in that run's place`,
      );
    }
    case 'FINISHED': {
      if (!policy.reload) {
        return skip(
          `run ${runId} already loaded ${content}; ingest with --reload (or set duplicates: reload) to replace its rows with this copy's`,
          true,
        );
      }
      if (policy.reloadMode === 'replace' && !policy.hasRunIdLineage) {
        return skip(
          `--reload refused: run ${runId} already loaded ${content} and a target of this config has no run-id lineage column (lineage.runId is null), so its rows cannot be found to replace them; set lineage.runId, or set reloadMode: append to load a second copy`,
        );
      }
      return { takeOver: true, replaceRunIds };
    }
  }
}

/** How many times a take-over that lost a race decides again before giving up. */
const CLAIM_ATTEMPTS = 3;

/** The duplicate policy of a run of this config. */
export function duplicatePolicy(config: FileConfig, key: string, reload: boolean): DuplicatePolicy {
  return {
    reload: reload || config.duplicates === 'reload',
    reloadMode: config.reloadMode ?? 'replace',
    hasRunIdLineage: config.records.every((r) => r.lineage.runId !== null),
    key,
  };
}

export type ClaimOutcome = { owned: true; replaceRunIds: string[]; tookOver: boolean } | { owned: false; skip: Skip };

/**
 * Claims one content key for a run: it owns it (first, or by a take-over that
 * decideDuplicate allows, performed atomically), or it must skip. A take-over
 * that loses a race decides again.
 */
export async function claimContentFor(
  runs: RunLog,
  content: ContentClaim,
  runId: string,
  policy: DuplicatePolicy,
): Promise<ClaimOutcome> {
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const claim = await runs.claimContent({ ...content, runId });
    if (claim.owner === runId) return { owned: true, replaceRunIds: claim.replaces, tookOver: false };
    const prior = await runs.get(claim.owner);
    const decision = decideDuplicate({ runId: claim.owner, prior, replaces: claim.replaces }, policy);
    if (!decision.takeOver) return { owned: false, skip: decision.skip };
    const taken = await runs.transferContent({
      ...content,
      from: claim.owner,
      fromStatus: prior?.status ?? 'SKIPPED',
      to: runId,
      replaces: decision.replaceRunIds,
    });
    if (taken) return { owned: true, replaceRunIds: decision.replaceRunIds, tookOver: true };
    // Lost a race for the claim (another take-over, or a redrive set the owner RUNNING): decide again.
  }
  return {
    owned: false,
    skip: {
      reason: `duplicate: the claim on this content kept moving between runs (${CLAIM_ATTEMPTS} attempts); see efi runs and ingest again`,
      archiveDuplicate: false,
    },
  };
}

/** The claim key of a content by its bytes. */
export function contentHashKey(sha256: string): string {
  return `sha256:${sha256}`;
}

/** Every content key a run took: its ETag (FetchConfig) and, once ValidateFile read the bytes, their hash. */
export function contentKeys(
  run: Pick<MatchedRun, 'configId' | 'etag' | 'size'>,
  record: Pick<RunRecord, 'contentSha256'> | null,
): ContentClaim[] {
  const keys: ContentClaim[] = [];
  if (run.etag) keys.push({ configId: run.configId, etag: run.etag, sizeBytes: run.size });
  if (record?.contentSha256) {
    keys.push({ configId: run.configId, etag: contentHashKey(record.contentSha256), sizeBytes: run.size });
  }
  return keys;
}

/**
 * What this run owns of its content: the runs whose rows its load replaces
 * (union over its claims), or, when another run owns one of its claims now, that
 * run (`lostTo`): a `--reload` of the same bytes (same ETag, or same hash under
 * another ETag) took it over. No claim row (a run from before content claims)
 * means nobody else took it.
 */
export async function contentStanding(
  run: Pick<MatchedRun, 'runId' | 'configId' | 'etag' | 'size'>,
  runs: RunLog,
): Promise<{ lostTo: string | null; replaces: string[] }> {
  const record = await runs.get(run.runId);
  const replaces = new Set<string>();
  for (const key of contentKeys(run, record)) {
    const claim = await runs.contentClaim(key);
    if (claim === null) continue;
    if (claim.owner !== run.runId) return { lostTo: claim.owner, replaces: [] };
    for (const id of claim.replaces) replaces.add(id);
  }
  return { lostTo: null, replaces: [...replaces] };
}

/** Before a load: the runs it replaces; ContentClaimLost when another run took the content over. */
export async function ownedContent(run: MatchedRun, runs: RunLog): Promise<string[]> {
  const { lostTo, replaces } = await contentStanding(run, runs);
  if (lostTo !== null) {
    throw new ContentClaimLost(
      `run ${run.runId} no longer owns the content of ${run.key}: run ${lostTo} took it over (a --reload of the same bytes) and loads it instead; nothing was loaded by this run, and redriving it again will not load it`,
    );
  }
  return replaces;
}

/**
 * After a load committed (Archive, Audit FINISHED, Notify FINISHED on a
 * redrive): RunSuperseded when a later `--reload` took the content over, since
 * its load deleted this run's rows (they are in `replaces` of the new owner's
 * claim). The run must not report FINISHED for rows it no longer has.
 */
export async function assertNotSuperseded(
  run: Pick<MatchedRun, 'runId' | 'configId' | 'etag' | 'size' | 'key'>,
  runs: RunLog,
): Promise<void> {
  const { lostTo } = await contentStanding(run, runs);
  if (lostTo === null) return;
  throw new RunSuperseded(
    `run ${run.runId} was superseded by run ${lostTo}: a --reload of the same content (${run.key}) took it over and its load replaces this run's rows, so none of them is this run's any more; this run is not FINISHED. Nothing to redrive: see run ${lostTo}`,
  );
}
