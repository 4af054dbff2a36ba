import { matchConfig } from '../config/match.ts';
import type { RunContext } from '../contract/payloads.ts';
import { errorKindOf, ObjectNotFound } from '../errors.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { RunLog, RunRecord } from '../ports/run-log.ts';
import type { Settings } from '../settings.ts';

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

/**
 * What to do when another run (`owner`) already holds the claim on this file's
 * content: take the claim over (a reload of a FINISHED run, or new bytes after a
 * rejection), else skip with the reason. `skip` is also the answer when the
 * take-over loses a race (the claim moved on).
 *
 * A rejected run's file sits in rejected/ and can never be redriven, so the
 * same bytes dropped again (say, after fixing the config) get a fresh run.
 */
export function decideDuplicate(
  owner: string,
  prior: Pick<RunRecord, 'status' | 'error'> | null,
  reload: boolean,
): { takeOver: boolean; skip: Skip } {
  const rejected = prior?.status === 'FAILED' && errorKindOf(prior.error?.name ?? '') === 'rejected';
  const takeOver = (reload && prior?.status === 'FINISHED') || rejected;
  const what =
    prior?.status === 'FINISHED'
      ? 'already loaded this file'
      : `already took this file (${prior?.status ?? 'unknown'})`;
  const next =
    prior?.status === 'FAILED' || prior?.status === 'ABORTED'
      ? `; redrive it (efi redrive ${owner}) or send a corrected file`
      : prior?.status === 'FINISHED'
        ? '; ingest with --reload to load it again'
        : '';
  // Already loaded: this copy is a re-upload, safe to move out of landing. A duplicate of a run
  // still in progress (or failed, awaiting a redrive) must leave the file to that run.
  return {
    takeOver,
    skip: { reason: `duplicate: run ${owner} ${what}${next}`, archiveDuplicate: prior?.status === 'FINISHED' },
  };
}

/** A duplicate event for a file an earlier run already took (and moved): nothing to do. */
export function duplicateEventSkip(owner: string, prior: Pick<RunRecord, 'status'> | null): Skip {
  return {
    reason: `duplicate event: run ${owner} already took this file (${prior?.status ?? 'unknown'})`,
    archiveDuplicate: false,
  };
}

/** The same content under another name, already loaded by a FINISHED run of the same config. */
export function sameContentSkip(loaded: Pick<RunRecord, 'key' | 'runId'>): Skip {
  return {
    reason: `same content as ${loaded.key} already loaded by run ${loaded.runId}; ingest with --reload (or set duplicates: reload) to load it again`,
    archiveDuplicate: true,
  };
}

/**
 * FetchConfig: register the run, match the key to exactly one active config,
 * and decide whether this execution loads at all (duplicate S3 delivery, or
 * content already loaded).
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

  const reload = input.reload || config.duplicates === 'reload';
  const claim = { bucket: input.bucket, key: input.key, etag: head.etag };
  const { owner } = await runs.claimFile({ ...claim, runId: input.runId });
  if (owner !== input.runId) {
    const decision = decideDuplicate(owner, await runs.get(owner), reload);
    const taken = decision.takeOver && (await runs.transferClaim({ ...claim, from: owner, to: input.runId }));
    if (!taken) return skipped(runs, ctx, decision.skip);
  } else if (!reload) {
    const loaded = await runs.findLoadedContent({ configId: config.id, etag: head.etag, excludeRunId: input.runId });
    if (loaded) return skipped(runs, ctx, sameContentSkip(loaded));
  }
  return ctx;
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
