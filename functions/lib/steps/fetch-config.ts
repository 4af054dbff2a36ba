import { matchConfig } from '../config/match.ts';
import type { RunContext } from '../contract/payloads.ts';
import { ObjectNotFound } from '../errors.ts';
import type { ConfigSource } from '../ports/config-source.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { RunLog, RunRecord } from '../ports/run-log.ts';
import type { Settings } from '../settings.ts';
import { claimContentFor, duplicatePolicy, type Skip } from './content-claim.ts';
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

export type { ClaimOwner, DuplicateDecision, DuplicatePolicy, Skip } from './content-claim.ts';
export { decideDuplicate } from './content-claim.ts';

/** A duplicate event for a file an earlier run already took (and moved): nothing to do. */
export function duplicateEventSkip(owner: string, prior: Pick<RunRecord, 'status'> | null): Skip {
  return {
    reason: `duplicate event: run ${owner} already took this file (${prior?.status ?? 'unknown'})`,
    archiveDuplicate: false,
  };
}

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
    // The run fails here, redrivable: once the config is fixed, its redrive matches again.
    { landingPrefix: ports.prefixes.landing, nextStep: `redrive: efi redrive ${input.runId}` },
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

  const policy = duplicatePolicy(config, input.key, input.reload);
  const content = { configId: config.id, etag: head.etag, sizeBytes: head.size };
  const claimed = await claimContentFor(runs, content, input.runId, policy);
  if (!claimed.owned) return skipped(runs, { ...ctx, reload: policy.reload }, claimed.skip);
  if (claimed.tookOver && fileOwner !== input.runId) {
    await runs.transferClaim({ ...fileClaim, from: fileOwner, to: input.runId });
  }
  return { ...ctx, reload: policy.reload, replaceRunIds: claimed.replaceRunIds };
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
