import { matchConfig } from '../config/match.ts';
import type { RunContext } from '../contract/payloads.ts';
import { errorKindOf, ObjectNotFound } from '../errors.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { RunLog, RunRecord } from '../ports/run-log.ts';
import type { Settings } from '../settings.ts';
import { extensionProblem } from './validate-file.ts';

export interface FetchConfigInput {
  bucket: string;
  key: string;
  etag: string | null;
  size: number | null;
  reload: boolean;
  executionId: string;
  runId: string;
  startedAt: string;
}

export interface FetchConfigPorts {
  store: ObjectStore;
  runs: RunLog;
  configs: ConfigSource;
  prefixes: Pick<Settings['prefixes'], 'landing'>;
}

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

/** A duplicate event for a file an earlier run already took (and moved): nothing to do. */
export function duplicateEventSkip(owner: string, prior: Pick<RunRecord, 'status'> | null): Skip {
  return {
    reason: `duplicate event: run ${owner} already took this file (${prior?.status ?? 'unknown'})`,
    archiveDuplicate: false,
  };
}

/** How many times a take-over that lost a race decides again before giving up. */
const CLAIM_ATTEMPTS = 3;

/**
 * FetchConfig: register the run, match the key to exactly one active config,
 * check the name, and decide whether this execution loads at all (duplicate S3
 * delivery, or the same content under any name in flight, failed or loaded).
 */
export async function fetchConfig(input: FetchConfigInput, ports: FetchConfigPorts): Promise<RunContext> {
  const { store, runs } = ports;
  const head = await store.head(input.bucket, input.key);
  const etag = head?.etag ?? input.etag;
  const run = await runs.register({
    runId: input.runId,
    executionId: input.executionId,
    bucket: input.bucket,
    key: input.key,
    etag,
    size: head?.size ?? input.size,
    startedAt: input.startedAt,
  });

  const base = {
    runId: input.runId,
    executionId: input.executionId,
    bucket: input.bucket,
    key: input.key,
    etag: etag ?? '',
    size: head?.size ?? input.size ?? 0,
    startedAt: run.startedAt,
  };

  if (!head) {
    if (etag) {
      const { owner } = await runs.claimFile({ bucket: input.bucket, key: input.key, etag, runId: input.runId });
      if (owner !== input.runId) {
        const unmatched = { ...base, configId: null, configVersion: null, interface: null };
        return skipped(runs, unmatched, duplicateEventSkip(owner, await runs.get(owner)));
      }
    }
    throw new ObjectNotFound(
      `s3://${input.bucket}/${input.key} does not exist (deleted or moved before the run started). Upload it again to load it.`,
    );
  }

  const active = await ports.configs.listActive();
  const config = matchConfig(
    input.key,
    active.map((a) => a.config),
    { landingPrefix: ports.prefixes.landing },
  );
  const configVersion = active.find((a) => a.config === config)!.version;
  await runs.update(input.runId, { configId: config.id, interface: config.interface });
  const ctx: RunContext = {
    ...base,
    configId: config.id,
    configVersion,
    interface: config.interface,
    hasTransform: config.transform !== null,
    skip: false,
    skipReason: null,
  };

  // The file claim remembers which run took this key's bytes, for a duplicate event after the file moved.
  const fileClaim = { bucket: input.bucket, key: input.key, etag: head.etag };
  const fileOwner = (await runs.claimFile({ ...fileClaim, runId: input.runId })).owner;

  // Name checks come before the duplicate skip: a wrongly named copy of loaded content is rejected
  // (by ValidateFile, with the reason), never SKIPPED with exit 0. It takes no content claim.
  if (extensionProblem(input.key, config) !== null) return ctx;

  const policy: DuplicatePolicy = {
    reload: input.reload || config.duplicates === 'reload',
    reloadMode: config.reloadMode ?? 'replace',
    hasRunIdLineage: config.records.every((r) => r.lineage.runId !== null),
    key: input.key,
  };
  const content = { configId: config.id, etag: head.etag, sizeBytes: head.size };
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const claim = await runs.claimContent({ ...content, runId: input.runId });
    if (claim.owner === input.runId) return { ...ctx, replaceRunIds: claim.replaces };
    const prior = await runs.get(claim.owner);
    const decision = decideDuplicate({ runId: claim.owner, prior, replaces: claim.replaces }, policy);
    if (!decision.takeOver) return skipped(runs, ctx, decision.skip);
    const taken = await runs.transferContent({
      ...content,
      from: claim.owner,
      fromStatus: prior?.status ?? 'SKIPPED',
      to: input.runId,
      replaces: decision.replaceRunIds,
    });
    if (taken) {
      if (fileOwner !== input.runId) await runs.transferClaim({ ...fileClaim, from: fileOwner, to: input.runId });
      return { ...ctx, replaceRunIds: decision.replaceRunIds };
    }
    // Lost a race for the claim (another take-over, or a redrive set the owner RUNNING): decide again.
  }
  return skipped(runs, ctx, {
    reason: `duplicate: the claim on this content kept moving between runs (${CLAIM_ATTEMPTS} attempts); see efi runs and ingest again`,
    archiveDuplicate: false,
  });
}

async function skipped(
  runs: RunLog,
  ctx: Omit<RunContext, 'hasTransform' | 'skip' | 'skipReason'>,
  skip: Skip,
): Promise<RunContext> {
  await runs.update(ctx.runId, { skipReason: skip.reason });
  return {
    ...ctx,
    hasTransform: false,
    skip: true,
    skipReason: skip.reason,
    archiveDuplicate: skip.archiveDuplicate,
  };
}
