import { listActiveConfigs } from '../adapters/config-db/config-repository.ts';
import {
  claimFile,
  findLoadedContent,
  getRun,
  registerRun,
  transferClaim,
  updateRun,
} from '../adapters/config-db/run-log.ts';
import type { Runtime } from '../compose.ts';
import { matchConfig } from '../config/match.ts';
import type { RunContext } from '../contract/payloads.ts';
import { errorKindOf, ObjectNotFound } from '../errors.ts';

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

/**
 * FetchConfig: register the run, match the key to exactly one active config,
 * and decide whether this execution loads at all (duplicate S3 delivery, or
 * content already loaded).
 */
export async function fetchConfig(rt: Runtime, input: FetchConfigInput): Promise<RunContext> {
  const db = await rt.db();
  const store = await rt.store();

  const head = await store.head(input.bucket, input.key);
  const etag = head?.etag ?? input.etag;
  const run = await registerRun(db, {
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
    // A duplicate event for a file an earlier run already archived: nothing to do.
    if (etag) {
      const { owner } = await claimFile(db, { bucket: input.bucket, key: input.key, etag, runId: input.runId });
      if (owner !== input.runId) {
        const prior = await getRun(db, owner);
        return skipped(
          rt,
          base,
          null,
          `duplicate event: run ${owner} already took this file (${prior?.status ?? 'unknown'})`,
        );
      }
    }
    throw new ObjectNotFound(
      `s3://${input.bucket}/${input.key} does not exist (deleted or moved before the run started). Upload it again to load it.`,
    );
  }

  const config = matchConfig(input.key, await listActiveConfigs(db), { landingPrefix: rt.settings.prefixes.landing });
  await updateRun(db, input.runId, { configId: config.id, interface: config.interface });
  const ctx: RunContext = {
    ...base,
    configId: config.id,
    interface: config.interface,
    hasTransform: config.transform !== null,
    skip: false,
    skipReason: null,
  };

  const reload = input.reload || config.duplicates === 'reload';
  const { owner } = await claimFile(db, { bucket: input.bucket, key: input.key, etag: head.etag, runId: input.runId });
  if (owner !== input.runId) {
    const prior = await getRun(db, owner);
    // A rejected run's file sits in rejected/ and can never be redriven, so the same
    // bytes dropped again (say, after fixing the config) get a fresh run.
    const rejected = prior?.status === 'FAILED' && errorKindOf(prior.error?.name ?? '') === 'rejected';
    const taken =
      ((reload && prior?.status === 'FINISHED') || rejected) &&
      (await transferClaim(db, {
        bucket: input.bucket,
        key: input.key,
        etag: head.etag,
        from: owner,
        to: input.runId,
      }));
    if (!taken) {
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
      return skipped(rt, ctx, config.id, `duplicate: run ${owner} ${what}${next}`, prior?.status === 'FINISHED');
    }
  } else if (!reload) {
    const loaded = await findLoadedContent(db, { configId: config.id, etag: head.etag, excludeRunId: input.runId });
    if (loaded) {
      return skipped(
        rt,
        ctx,
        config.id,
        `same content as ${loaded.key} already loaded by run ${loaded.runId}; ingest with --reload (or set duplicates: reload) to load it again`,
        true,
      );
    }
  }
  return ctx;
}

async function skipped(
  rt: Runtime,
  ctx: Omit<RunContext, 'configId' | 'interface' | 'hasTransform' | 'skip' | 'skipReason'> & Partial<RunContext>,
  configId: string | null,
  reason: string,
  archiveDuplicate = false,
): Promise<RunContext> {
  await updateRun(await rt.db(), ctx.runId, { skipReason: reason });
  return {
    ...ctx,
    configId: configId ?? ctx.configId ?? null,
    interface: ctx.interface ?? null,
    hasTransform: false,
    skip: true,
    skipReason: reason,
    archiveDuplicate,
  };
}
