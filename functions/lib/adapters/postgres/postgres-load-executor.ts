import { ConfigInvalid } from '../../errors.ts';
import { type LoadRowError, type LoadSpec, lineageSourceFile, type TargetResult } from '../../ports/warehouse.ts';
import { quoteIdent } from '../../sql/identifiers.ts';
import type { PgSession } from './postgres-bulk-load.ts';
import { COLUMN_INFO_SQL, dropNullChecksSql, stageChecksSql } from './postgres-column-info.ts';
import { locateCopyLine } from './postgres-copy-line.ts';
import { columnsNeedRewrite, copyOptionsSql, REWRITTEN_COPY_OPTIONS } from './postgres-copy-options.ts';
import {
  describeDbError,
  describeRowError,
  partRowError,
  rewriteWouldLoad,
  toLoadRowError,
} from './postgres-load-errors.ts';
import { type ColumnInfo, rewritePlan, type TargetPlan } from './postgres-load-plan.ts';
import { PartRowError, PartTransform } from './postgres-part-transform.ts';
import { LoadAttemptFailed } from './postgres-statement-log.ts';

/**
 * Runs a planned load inside one open transaction: per target, a temporary
 * staging table with the target's column types, each part COPYed into it,
 * then the staged rows moved into the target with lineage set.
 *
 * MAXERROR: each part is COPYed under a SAVEPOINT; a row error rolls back to
 * it and the part is COPYed again without the rejected records. The cost per
 * row PostgreSQL rejects (at most maxErrors per target) is two more reads of
 * its part: one to map COPY's line number to the record
 * (postgres-copy-line.ts), one to COPY the part again, plus the work COPY had
 * done on the part before the bad row; rows the transform itself refuses
 * (short fixed-width records, dates not in DATEFORMAT) are dropped in the
 * same pass at no extra cost.
 */

export async function executeLoad(
  session: PgSession,
  plans: TargetPlan[],
  spec: LoadSpec,
  rejected: LoadRowError[],
  /** Told each target as its load begins (a dry run names the target a failure is about). */
  onTarget?: (plan: TargetPlan) => void,
): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  for (const plan of plans) {
    onTarget?.(plan);
    results.push(await loadTarget(session, plan, spec, rejected));
  }
  return results;
}

/** Loads one target; rows it rejects under maxErrors are appended to `rejected` (the whole load's list). */
async function loadTarget(
  session: PgSession,
  plan: TargetPlan,
  spec: LoadSpec,
  rejected: LoadRowError[],
): Promise<TargetResult> {
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof LoadAttemptFailed) throw e;
      throw new LoadAttemptFailed(`load into ${plan.name} failed while ${what}: ${describeDbError(e)}`, null, e);
    }
  };

  const columns = await step('creating its staging table', async () => {
    await session.query(
      `CREATE TEMP TABLE ${plan.stage} ON COMMIT DROP AS SELECT ${plan.columns} FROM ${plan.table} WITH NO DATA`,
    );
    // The staging table carries the target's NOT NULL constraints, so COPY
    // reports a missing value with its line instead of the INSERT without one.
    const info = await session.query(COLUMN_INFO_SQL, [plan.table]);
    const all = info.rows as unknown as ColumnInfo[];
    const wanted = new Set(plan.columnNames);
    const notNull = all.filter((c) => c.not_null && wanted.has(c.name)).map((c) => c.name);
    if (notNull.length > 0) {
      const clauses = notNull.map((c) => `ALTER COLUMN ${quoteIdent(c)} SET NOT NULL`).join(', ');
      await session.query(`ALTER TABLE ${plan.stage} ${clauses}`);
    }
    const loaded = all.filter((c) => wanted.has(c.name));
    // Redshift counts VARCHAR(n) in bytes, and `\N` is its default NULL: the fast path's COPY must agree.
    const fastPath = !plan.rewrite && !columnsNeedRewrite(plan.spec.options, loaded);
    const checks = stageChecksSql(plan.stage, loaded, plan.spec.options, fastPath);
    if (checks) await session.query(checks);
    return new Map(loaded.map((c) => [c.name, c]));
  });

  // 'S' is PostgreSQL's string type category (text, varchar, char).
  const textColumns = [...columns.values()].filter((c) => c.category === 'S').map((c) => c.name);
  const columnRewrite = columnsNeedRewrite(plan.spec.options, columns.values());
  let options = columnRewrite
    ? REWRITTEN_COPY_OPTIONS
    : copyOptionsSql(plan.spec.format, plan.spec.options, textColumns, `load target ${plan.name}`);
  let rewrite = plan.rewrite || columnRewrite ? rewritePlan(plan, columns) : null;
  const { maxErrors, acceptInvalidChars } = plan.spec.options;
  const replaceInvalid = acceptInvalidChars === null ? null : acceptInvalidChars.charCodeAt(0);
  const delimiter = Buffer.from(plan.spec.format.delimiter, 'utf8');
  const quote = plan.spec.format.quote === null ? null : plan.spec.format.quote.charCodeAt(0);
  // Fixed-width records never span lines: a newline always ends one.
  const recordQuote = plan.spec.format.layout === 'fixed_width' ? null : quote;
  const rejectedBefore = rejected.length;
  const overBudget = (e: LoadRowError) => {
    const n = rejected.length - rejectedBefore + 1;
    const why =
      maxErrors > 0
        ? ` (${n} rows rejected for ${plan.name}, more than maxErrors ${maxErrors}: nothing was loaded)`
        : '';
    return new LoadAttemptFailed(`${describeRowError(e)}${why}`, [...rejected, e], e);
  };

  for (const part of plan.spec.parts) {
    const ctx = { target: plan.spec.target, partKey: part.key, stageTable: plan.stageName };
    // Records of this part rejected so far (by record number): left out of every later attempt.
    const skipped = new Set<number>();
    const withinBudget = (e: LoadRowError, record: number): boolean => {
      if (rejected.length - rejectedBefore >= maxErrors) return false;
      rejected.push(e);
      skipped.add(record);
      return true;
    };
    let overflow: LoadRowError | null = null;
    for (;;) {
      const transform =
        rewrite || replaceInvalid !== null || skipped.size > 0
          ? () =>
              new PartTransform({
                delimiter,
                quote,
                escape: plan.spec.format.escape,
                skip: new Set(skipped),
                replaceInvalid,
                rewrite,
                reject: (e: PartRowError) => {
                  const rowError = partRowError(e, ctx);
                  if (withinBudget(rowError, e.record)) return true;
                  overflow = rowError;
                  return false;
                },
              })
          : undefined;
      // The fast path may have to fall back to the rewrite (below): that needs a savepoint too.
      const savepoint = maxErrors > 0 || rewrite === null;
      if (savepoint) await step('setting a savepoint', () => session.query('SAVEPOINT efi_part'));
      try {
        await session.copyPart(`${plan.stage} (${plan.columns})`, options, part, transform);
        if (savepoint) await step('releasing a savepoint', () => session.query('RELEASE SAVEPOINT efi_part'));
        break;
      } catch (e) {
        if (e instanceof PartRowError) throw overBudget(overflow ?? partRowError(e, ctx));
        const rowError = toLoadRowError(e, ctx);
        if (rewrite === null && rowError && rewriteWouldLoad(rowError, columns)) {
          // Redshift loads this row (a blank non-text field as NULL, a trailing delimiter); PostgreSQL
          // COPY cannot, so this target's parts go through the rewrite, which does (no row is rejected).
          await step('rolling back to the savepoint', () => session.query('ROLLBACK TO SAVEPOINT efi_part'));
          const drop = dropNullChecksSql(plan.stage, columns.values());
          if (drop) await step('dropping the fast-path checks', () => session.query(drop));
          rewrite = rewritePlan(plan, columns);
          options = REWRITTEN_COPY_OPTIONS;
          continue;
        }
        if (!rowError) {
          throw new LoadAttemptFailed(
            `load into ${plan.name} failed while copying part s3://${part.bucket}/${part.key}: ${describeDbError(e)}`,
            null,
            e,
          );
        }
        // PostgreSQL's line number is of the rows it was given: find the record and its line in the part.
        const at = await step('locating the rejected row in its part', async () =>
          locateCopyLine(await session.readPart(part), recordQuote, skipped, rowError.lineInPart),
        );
        if (at) rowError.lineInPart = at.line;
        // A record already left out cannot fail again; refusing to loop is the safe answer if it seems to.
        if (!at || skipped.has(at.record) || !withinBudget(rowError, at.record)) throw overBudget(rowError);
        await step('rolling back to the savepoint', () => session.query('ROLLBACK TO SAVEPOINT efi_part'));
      }
    }
  }

  const params: unknown[] = [];
  const param = (v: unknown) => `$${params.push(v)}`;
  if (plan.lineage.runId) {
    // A redriven load replaces the rows its run loaded before, never duplicates them.
    await step('removing rows of an earlier attempt of this run', () =>
      session.query(`DELETE FROM ${plan.table} WHERE ${plan.lineage.runId} = $1`, [spec.runId]),
    );
    // A --reload replaces the rows of the earlier runs of the same content, in this same transaction.
    const replaced = (spec.replaceRunIds ?? []).filter((id) => id !== spec.runId);
    if (replaced.length > 0) {
      await step('removing rows of the runs this reload replaces', () =>
        session.query(`DELETE FROM ${plan.table} WHERE ${plan.lineage.runId} = ANY($1::text[])`, [replaced]),
      );
    }
  } else if ((spec.replaceRunIds ?? []).some((id) => id !== spec.runId)) {
    throw new ConfigInvalid(`${plan.table} has no run-id lineage column: this reload cannot replace earlier rows`);
  }
  const into = [plan.columns];
  const select = [plan.columns];
  if (plan.lineage.sourceFile) {
    into.push(plan.lineage.sourceFile);
    select.push(param(lineageSourceFile(spec.sourceFile, plan.spec.lineage)));
  }
  if (plan.lineage.runId) {
    into.push(plan.lineage.runId);
    select.push(param(spec.runId));
  }
  if (plan.lineage.loadedAt) {
    into.push(plan.lineage.loadedAt);
    select.push('now()');
  }
  const inserted = await step('moving staged rows into it', () =>
    session.query(
      `INSERT INTO ${plan.table} (${into.join(', ')}) SELECT ${select.join(', ')} FROM ${plan.stage}`,
      params,
    ),
  );
  return {
    target: plan.spec.target,
    recordType: plan.spec.recordType,
    rowsLoaded: inserted.rowCount,
    rowsRejected: rejected.length - rejectedBefore,
  };
}
