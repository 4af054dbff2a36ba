import type { LoadOptions } from '../../config/model.ts';
import { ConfigInvalid, InvalidStateInput } from '../../errors.ts';
import {
  assertLoadSpec,
  loadStatementsPerTarget,
  loadTargetName,
  MAX_LOAD_STATEMENTS,
} from '../../ports/load-spec-rules.ts';
import { type LoadFormat, type LoadSpec, type LoadTargetSpec, lineageSourceFile } from '../../ports/warehouse.ts';
import { assertIdentifier, quoteIdent, quoteRedshiftLiteral, quoteTable } from '../../sql/identifiers.ts';

/**
 * Renders a LoadSpec as the statements of ONE Redshift transaction (sent with
 * BatchExecuteStatement). Per target: a temp stage table shaped like the
 * target, a COPY into it, an optional DELETE of this run's earlier rows (a
 * redriven load replaces its own rows), and an INSERT that adds lineage.
 *
 * After the last target, one statement counts every stage table (`renderCountStatement`):
 * the exact rows per target, which the Data API's ResultRows does not always give.
 *
 * Every statement starts with a marker comment (see `StatementMarker`): the
 * Data API gives back each sub-statement's text, and the marker is how
 * DescribeStatement results are mapped back to targets in another process
 * (SubmitLoad and CheckLoad are different Lambdas) without re-reading config.
 */

export interface RedshiftCopyOptions {
  /** IAM role Redshift assumes to read the parts. */
  iamRoleArn: string;
  /** Region of the bucket, when it differs from the cluster's. */
  region?: string | null;
  /** Temp stage table name prefix; the target index is appended. */
  stagePrefix?: string;
}

export type StatementStep = 'stage' | 'copy' | 'delete' | 'insert';

export interface StatementMarker {
  target: number;
  step: StatementStep;
  table: { schema: string; table: string };
  recordType: string | null;
}

export const DEFAULT_STAGE_PREFIX = 'efi_stage_';

// One role ARN without a comma: IAM allows commas in role names, but COPY's IAM_ROLE reads a comma as the
// separator of a role chain ('arn:...:role/A,arn:...:role/B', Management Guide: Chaining IAM roles).
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=.@/-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
// S3 bucket naming rules (lower case, digits, dots, hyphens; 3-63 chars).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function renderLoadStatements(spec: LoadSpec, opts: RedshiftCopyOptions): string[] {
  const roleArn = assertIamRoleArn(opts.iamRoleArn);
  const region = opts.region == null ? null : assertRegion(opts.region);
  const stagePrefix = assertIdentifier(opts.stagePrefix ?? DEFAULT_STAGE_PREFIX, 'stage table prefix');
  // What no warehouse can load is refused by the shared rules; what follows is Redshift's own.
  assertLoadSpec(spec);
  const out: string[] = [];
  const stages = spec.targets.map((_, i) => quoteIdent(`${stagePrefix}${i}`, 'stage table'));
  spec.targets.forEach((t, i) => {
    const statements = renderTarget(spec, t, i, { roleArn, region, stage: `${stagePrefix}${i}` });
    // The config rule counts with the same function: keep them in step.
    if (statements.length !== loadStatementsPerTarget(t.lineage)) {
      throw new Error(
        `${loadTargetName(t, i)}: rendered ${statements.length} statements, loadStatementsPerTarget says otherwise`,
      );
    }
    out.push(...statements);
  });
  if (out.length > MAX_LOAD_STATEMENTS) {
    throw new ConfigInvalid(
      `the load of run ${spec.runId} needs ${out.length} SQL statements for ${spec.targets.length} targets; one BatchExecuteStatement (one transaction) takes at most ${MAX_LOAD_STATEMENTS}: at most 10 record types with a runId lineage column, 13 without`,
    );
  }
  // The Data API may give an INSERT's ResultRows as -1 ("the value is null"); the stage counts are exact.
  // A load that already fills the 40 statements keeps its record types and falls back to ResultRows.
  if (out.length < MAX_LOAD_STATEMENTS) out.push(renderCountStatement(stages));
  return out;
}

/** Starts the statement that counts every target's stage table; it has no target of its own. */
const COUNT_MARKER = '/* efi step=count */\n';
/** The columns of the count statement's result: the target's index and its stage table's row count. */
export const COUNT_COLUMNS = { target: 'efi_target', rows: 'efi_rows' } as const;

/**
 * The last statement of the load: each stage table's rows, in the load's own session and
 * transaction. A stage table is created empty for this load and filled only by its COPY, and its
 * INSERT copies all of it, so the count is both the rows COPY loaded and the rows the target got.
 */
function renderCountStatement(stages: readonly string[]): string {
  const selects = stages.map(
    (stage, i) =>
      `SELECT ${i} AS ${quoteIdent(COUNT_COLUMNS.target, 'count column')}, COUNT(*) AS ${quoteIdent(COUNT_COLUMNS.rows, 'count column')} FROM ${stage}`,
  );
  return `${COUNT_MARKER}${selects.join('\nUNION ALL\n')}`;
}

/** Whether a statement is the load's count statement (`renderCountStatement`). */
export function isCountStatement(sql: string | undefined): boolean {
  return sql?.startsWith(COUNT_MARKER) ?? false;
}

function renderTarget(
  spec: LoadSpec,
  t: LoadTargetSpec,
  index: number,
  ctx: { roleArn: string; region: string | null; stage: string },
): string[] {
  const where = loadTargetName(t, index);
  const table = quoteTable(t.target);
  const stage = quoteIdent(ctx.stage, 'stage table');
  const columns = t.columns.map((c) => quoteIdent(c.name, `${where} column`));
  const mark = (step: StatementStep) =>
    renderMarker({ target: index, step, table: t.target, recordType: t.recordType });

  const statements = [
    // INCLUDING DEFAULTS: a target column the file leaves out gets its DEFAULT, as the local load does.
    `${mark('stage')}CREATE TEMP TABLE ${stage} (LIKE ${table} INCLUDING DEFAULTS)`,
    `${mark('copy')}COPY ${stage} (${columns.join(', ')})\n${renderCopyClauses(t, ctx, where)}`,
  ];

  const lineage = lineageColumns(spec, t, where);
  const runIdColumn = t.lineage.runId;
  // This run's own earlier attempt, plus the runs a --reload replaces: all in this transaction.
  const replaced = [...new Set([spec.runId, ...(spec.replaceRunIds ?? [])])];
  if (runIdColumn !== null) {
    const runIdSql = quoteIdent(runIdColumn, `${where} lineage runId column`);
    const predicate =
      replaced.length === 1
        ? `${runIdSql} = ${quoteRedshiftLiteral(spec.runId)}`
        : `${runIdSql} IN (${replaced.map(quoteRedshiftLiteral).join(', ')})`;
    statements.push(`${mark('delete')}DELETE FROM ${table} WHERE ${predicate}`);
  } else if (replaced.length > 1) {
    throw new ConfigInvalid(
      `${where} has no run-id lineage column, so the rows of run(s) ${replaced.slice(1).join(', ')} cannot be replaced`,
    );
  }
  const insertColumns = [...columns, ...lineage.map((l) => l.column)];
  const selectList = [...columns, ...lineage.map((l) => l.value)];
  statements.push(
    `${mark('insert')}INSERT INTO ${table} (${insertColumns.join(', ')})\nSELECT ${selectList.join(', ')} FROM ${stage}`,
  );
  return statements;
}

function lineageColumns(spec: LoadSpec, t: LoadTargetSpec, where: string): { column: string; value: string }[] {
  const out: { column: string; value: string }[] = [];
  const { sourceFile, runId, loadedAt } = t.lineage;
  if (sourceFile !== null) {
    out.push({
      column: quoteIdent(sourceFile, `${where} lineage sourceFile column`),
      value: quoteRedshiftLiteral(lineageSourceFile(spec.sourceFile, t.lineage)),
    });
  }
  if (runId !== null) {
    out.push({ column: quoteIdent(runId, `${where} lineage runId column`), value: quoteRedshiftLiteral(spec.runId) });
  }
  if (loadedAt !== null) {
    out.push({ column: quoteIdent(loadedAt, `${where} lineage loadedAt column`), value: 'GETDATE()' });
  }
  return out;
}

function renderCopyClauses(t: LoadTargetSpec, ctx: { roleArn: string; region: string | null }, where: string): string {
  const lines: string[] = [];
  // COPY FROM 's3://bucket/key' without MANIFEST loads every object whose key starts with that key
  // (Developer Guide, COPY from Amazon S3: the object path is a prefix), so `x.csv` would also load
  // `x.csv.bak`. Preprocess and UseOriginalFile write a manifest for every target; a target without
  // one is a payload from elsewhere, refused rather than loaded by prefix.
  if (!t.manifest) {
    throw new InvalidStateInput(
      `${where} has ${t.parts.length} part(s) and no COPY manifest: without one Redshift would load every object whose key starts with the part's key; redrive from Preprocess, which writes the manifest`,
    );
  }
  lines.push(`FROM ${s3Uri(t.manifest.bucket, t.manifest.key, `${where} manifest`)}`);
  lines.push(`IAM_ROLE ${quoteRedshiftLiteral(ctx.roleArn)}`);
  lines.push('MANIFEST');
  lines.push(renderFormat(t.format, t.columns, where));
  if (isGzip(t, where)) lines.push('GZIP');
  lines.push(...renderOptions(t.options, t.format, where));
  if (ctx.region) lines.push(`REGION AS ${quoteRedshiftLiteral(ctx.region)}`);
  // The stage table is dropped at the end of the session: analysing it is wasted work.
  lines.push('COMPUPDATE OFF STATUPDATE OFF');
  return lines.join('\n');
}

function isGzip(t: LoadTargetSpec, where: string): boolean {
  const kinds = new Set(t.parts.map((p) => p.compression));
  if (kinds.size > 1) {
    throw new ConfigInvalid(
      `${where} mixes gzip and uncompressed parts: one COPY reads one compression; Preprocess must compress all parts of a target or none`,
    );
  }
  return kinds.has('gzip');
}

function renderFormat(format: LoadFormat, columns: LoadTargetSpec['columns'], where: string): string {
  if (format.layout === 'fixed_width') {
    // Widths and the absence of an escape are checked by assertLoadSpec.
    const spec = columns.map((c) => `${c.name}:${c.width}`);
    return `FIXEDWIDTH ${quoteRedshiftLiteral(spec.join(','))}`;
  }
  const delimiter = assertSingleChar(format.delimiter, `${where} delimiter`);
  if (format.quote !== null) {
    const quote = assertSingleChar(format.quote, `${where} quote`);
    if (quote === delimiter) {
      throw new ConfigInvalid(`${where}: quote and delimiter are both ${JSON.stringify(quote)}: they must differ`);
    }
    // CSV mode escapes a quote by doubling it; Redshift refuses ESCAPE (and REMOVEQUOTES) with CSV.
    if (format.escape !== null && format.escape !== quote) {
      throw new ConfigInvalid(
        `${where}: escape ${JSON.stringify(format.escape)} is not supported with quote ${JSON.stringify(quote)}: Redshift COPY cannot combine CSV with ESCAPE (a doubled quote escapes a quote); set escape to null, or quote to null for backslash escaping`,
      );
    }
    return `CSV QUOTE AS ${quoteRedshiftLiteral(quote)} DELIMITER AS ${quoteRedshiftLiteral(delimiter)}`;
  }
  const plain = `DELIMITER AS ${quoteRedshiftLiteral(delimiter)}`;
  if (format.escape === null) return plain;
  if (format.escape !== '\\') {
    throw new ConfigInvalid(
      `${where}: escape ${JSON.stringify(format.escape)} is not supported: Redshift's ESCAPE only means backslash escaping; set escape to "\\\\" or null`,
    );
  }
  if (delimiter === '\\') {
    throw new ConfigInvalid(`${where}: the delimiter cannot be a backslash when escape is a backslash`);
  }
  return `${plain} ESCAPE`;
}

function renderOptions(o: LoadOptions, format: LoadFormat, where: string): string[] {
  const out: string[] = [];
  if (o.removeQuotes) {
    if (format.layout !== 'delimited' || format.quote !== null) {
      throw new ConfigInvalid(
        `${where}: removeQuotes needs a delimited layout without a quote character: Redshift COPY cannot combine REMOVEQUOTES with CSV or FIXEDWIDTH`,
      );
    }
    out.push('REMOVEQUOTES');
  }
  if (o.dateFormat !== null)
    out.push(`DATEFORMAT AS ${quoteRedshiftLiteral(nonEmpty(o.dateFormat, `${where} dateFormat`))}`);
  if (o.timeFormat !== null)
    out.push(`TIMEFORMAT AS ${quoteRedshiftLiteral(nonEmpty(o.timeFormat, `${where} timeFormat`))}`);
  if (o.emptyAsNull) out.push('EMPTYASNULL');
  if (o.blanksAsNull) out.push('BLANKSASNULL');
  if (o.nullAs !== null) out.push(`NULL AS ${quoteRedshiftLiteral(o.nullAs)}`);
  if (o.acceptInvalidChars !== null) {
    const c = assertSingleChar(o.acceptInvalidChars, `${where} acceptInvalidChars`);
    out.push(`ACCEPTINVCHARS AS ${quoteRedshiftLiteral(c)}`);
  }
  if (o.truncateColumns) out.push('TRUNCATECOLUMNS');
  if (o.ignoreBlankLines) out.push('IGNOREBLANKLINES');
  if (o.acceptAnyDate) out.push('ACCEPTANYDATE');
  if (o.fillRecord) out.push('FILLRECORD');
  if (o.trimBlanks) out.push('TRIMBLANKS');
  if (o.roundDecimals) out.push('ROUNDEC');
  // maxErrors is within MAXERROR's range (assertLoadSpec).
  out.push(`MAXERROR ${o.maxErrors}`);
  return out;
}

// ---------------------------------------------------------------- markers

const MARKER =
  /^\/\* efi target=(\d+) step=(stage|copy|delete|insert) table=([a-z_][a-z0-9_$]*)\.([a-z_][a-z0-9_$]*)(?: record_type=([A-Za-z0-9%_.-]*))? \*\/\n/;

/**
 * The record type is percent-encoded down to [A-Za-z0-9%_.-], so it can never
 * close or nest the comment nor confuse a tool that splits SQL on quotes;
 * schema and table are validated identifiers.
 */
export function renderMarker(m: StatementMarker): string {
  let rt = '';
  if (m.recordType !== null) {
    try {
      rt = ` record_type=${encodeRecordType(m.recordType)}`;
    } catch {
      throw new ConfigInvalid(`record type ${JSON.stringify(m.recordType)} is not valid Unicode text`);
    }
  }
  return `/* efi target=${m.target} step=${m.step} table=${assertIdentifier(m.table.schema, 'schema')}.${assertIdentifier(m.table.table, 'table')}${rt} */\n`;
}

function encodeRecordType(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The marker of a statement rendered here, or null for any other SQL. */
export function parseMarker(sql: string | undefined): StatementMarker | null {
  const m = sql === undefined ? null : MARKER.exec(sql);
  if (!m) return null;
  let recordType: string | null = null;
  if (m[5] !== undefined) {
    try {
      recordType = decodeURIComponent(m[5]);
    } catch {
      return null;
    }
  }
  return { target: Number(m[1]), step: m[2] as StatementStep, table: { schema: m[3]!, table: m[4]! }, recordType };
}

// ---------------------------------------------------------------- validation

/**
 * The IAM_ROLE value: one role ARN, or a role chain as Redshift takes it, the
 * ARNs in order separated by commas with no spaces (the first one attached to
 * the cluster). A role whose name contains a comma cannot be named in IAM_ROLE:
 * Redshift would read it as a chain, so it is refused with that reason.
 */
export function assertIamRoleArn(arn: string): string {
  const chain = typeof arn === 'string' ? arn.split(',') : [];
  const bad = chain.length === 0 || chain.some((a) => !IAM_ROLE_ARN.test(a));
  if (bad) {
    const hint =
      typeof arn === 'string' && arn.includes(',') && chain.some((a) => !a.startsWith('arn:'))
        ? ': a comma separates the roles of a chain in COPY IAM_ROLE, so a role name containing a comma cannot be used; rename the role, or give a chain of full role ARNs'
        : '';
    throw new ConfigInvalid(
      `COPY IAM role ${JSON.stringify(arn)} is not an IAM role ARN: expected arn:aws:iam::<12-digit account>:role/<name>, or a chain of such ARNs separated by commas without spaces (EFI_COPY_ROLE_ARN)${hint}`,
    );
  }
  return arn;
}

function assertRegion(region: string): string {
  if (!REGION.test(region)) {
    throw new ConfigInvalid(`region ${JSON.stringify(region)} is not an AWS region name such as eu-west-1`);
  }
  return region;
}

function s3Uri(bucket: string, key: string, what: string): string {
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new ConfigInvalid(`${what}: bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
  }
  if (key.length === 0) throw new ConfigInvalid(`${what}: the object key is empty`);
  return quoteRedshiftLiteral(`s3://${bucket}/${key}`);
}

function assertSingleChar(value: string, what: string): string {
  // Redshift takes one ASCII character here; line breaks and NUL would end or corrupt records.
  if (typeof value !== 'string' || !/^[\x01-\x7f]$/.test(value) || value === '\n' || value === '\r') {
    throw new ConfigInvalid(
      `${what} ${JSON.stringify(value)} must be exactly one ASCII character other than a line break or NUL for Redshift COPY`,
    );
  }
  return value;
}

function nonEmpty(value: string, what: string): string {
  if (value.trim() === '') throw new ConfigInvalid(`${what} is empty: use null for the warehouse default or 'auto'`);
  return value;
}
