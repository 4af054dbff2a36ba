/**
 * Turns a run's outcome into the notification people and machines receive:
 * one builder shared by the local outbox and SNS/EventBridge so both say the
 * same thing.
 */
import { type ErrorKind, type ErrorLocation, errorKindOf, formatLocation } from '../errors.ts';
import type { RunStatus, StatusNotification } from '../ports/notifier.ts';
import type { TargetResult } from '../ports/warehouse.ts';

export interface NotificationError {
  name: string;
  message: string;
  line?: number | null;
  column?: number | string | null;
  /** The one location shape (errors.ts); shown as formatLocation renders it. */
  location?: ErrorLocation | null;
}

export interface NotificationInput {
  runId: string;
  status: RunStatus;
  interface: string | null;
  configId: string | null;
  bucket: string;
  /** Key the file arrived under. */
  key: string;
  recordsInFile: number | null;
  rowsLoaded: number | null;
  rowsRejected: number | null;
  targets?: TargetResult[];
  /** Where the original is now (archive or rejected): a key in `bucket` or an s3:// URI. */
  archivedTo: string | null;
  error: NotificationError | null;
  /** Why a SKIPPED run did not load. */
  skipReason?: string | null;
  executionId: string | null;
  /** When the outcome was decided. */
  at: string | Date;
  /** Whether the load / transform had committed when a FAILED or ABORTED run stopped (null: unknown or not run). */
  loadCommitted?: boolean | null;
  transformCommitted?: boolean | null;
  /** What receivers dedupe on: one key per (run, final status, redrive count); see notify.ts. */
  idempotencyKey?: string;
}

export type NextStep = 'none' | 'send-corrected-file' | 'redrive';
export type FailureKind = ErrorKind;

/** SNS refuses subjects of 100 characters or more. */
export const SUBJECT_MAX = 99;
/** Error text kept in body and detail: SNS messages and EventBridge events are capped at 256 KB. */
const ERROR_TEXT_MAX = 4000;

export function failureKind(errorName: string): FailureKind {
  return errorKindOf(errorName);
}

export function nextStep(status: RunStatus, error: NotificationError | null): NextStep {
  if (status !== 'FAILED' && status !== 'ABORTED') return 'none';
  if (status === 'FAILED' && error && failureKind(error.name) === 'rejected') return 'send-corrected-file';
  // Another run (a --reload) took this content over and loads it: redriving this one would fail again.
  if (error?.name === 'ContentClaimLost') return 'none';
  return 'redrive';
}

export function formatNotification(input: NotificationInput): StatusNotification {
  const at = typeof input.at === 'string' ? input.at : input.at.toISOString();
  const error = input.error
    ? {
        name: oneLine(input.error.name),
        message: clip(stripControl(input.error.message, true), ERROR_TEXT_MAX),
        line: input.error.line ?? null,
        column: input.error.column ?? null,
        location: input.error.location ?? null,
        kind: failureKind(input.error.name),
      }
    : null;
  const step = nextStep(input.status, input.error);
  const archivedTo = input.archivedTo ? toUri(input.bucket, input.archivedTo) : null;
  const targets = (input.targets ?? []).map((t) => ({
    schema: t.target.schema,
    table: t.target.table,
    recordType: t.recordType,
    rowsLoaded: t.rowsLoaded,
    rowsRejected: t.rowsRejected,
  }));

  return {
    runId: input.runId,
    status: input.status,
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    interface: input.interface,
    configId: input.configId,
    bucket: input.bucket,
    key: input.key,
    subject: formatSubject(input),
    body: formatBody(input, { at, error, step, archivedTo, targets }),
    detail: {
      version: 1,
      runId: input.runId,
      status: input.status,
      interface: input.interface,
      configId: input.configId,
      bucket: input.bucket,
      key: input.key,
      file: toUri(input.bucket, input.key),
      recordsInFile: input.recordsInFile,
      rowsLoaded: input.rowsLoaded,
      rowsRejected: input.rowsRejected,
      targets,
      archivedTo,
      error,
      skipReason: input.skipReason ?? null,
      nextStep: step,
      executionId: input.executionId,
      loadCommitted: input.loadCommitted ?? null,
      transformCommitted: input.transformCommitted ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      at,
    },
  };
}

/**
 * `[efi] FAILED sales.daily: daily_20261124.csv (TrailerMismatch)`. SNS takes
 * printable ASCII only, so accents are folded and other characters become '?';
 * when too long the file name is shortened in the middle (its date and
 * extension are usually at the end), then the config id.
 */
export function formatSubject(
  input: Pick<NotificationInput, 'status' | 'configId' | 'interface' | 'key' | 'error'>,
): string {
  const feed = asciiLine(input.configId ?? input.interface ?? 'unmatched');
  const file = asciiLine(baseName(input.key)) || '(no name)';
  const suffix = input.error ? clip(` (${asciiLine(input.error.name)})`, 40) : '';
  const head = `[efi] ${input.status} `;
  // What feed and file name may share once the fixed parts are counted (at least 42).
  const budget = SUBJECT_MAX - head.length - 2 - suffix.length;
  if (feed.length + file.length > budget) {
    const feedLen = Math.min(feed.length, Math.max(budget - file.length, Math.floor(budget * 0.4)));
    return `${head}${ellipsize(feed, feedLen)}: ${ellipsize(file, budget - feedLen)}${suffix}`;
  }
  return `${head}${feed}: ${file}${suffix}`;
}

interface BodyParts {
  at: string;
  error: {
    name: string;
    message: string;
    line: number | null;
    column: number | string | null;
    location: ErrorLocation | null;
    kind: FailureKind;
  } | null;
  step: NextStep;
  archivedTo: string | null;
  targets: {
    schema: string;
    table: string;
    recordType: string | null;
    // null: not reported by the warehouse (shown as ?).
    rowsLoaded: number | null;
    rowsRejected: number | null;
  }[];
}

function formatBody(input: NotificationInput, p: BodyParts): string {
  const lines: string[] = [];
  lines.push(`${headline(input, p)}`, '');
  const field = (label: string, value: string): void => {
    lines.push(`${`${label}:`.padEnd(11)}${value}`);
  };
  field('File', oneLine(toUri(input.bucket, input.key)));
  if (input.configId || input.interface) {
    field(
      'Config',
      oneLine([input.configId, input.interface ? `(interface ${input.interface})` : null].filter(Boolean).join(' ')),
    );
  }
  if (p.archivedTo) field('Now at', oneLine(p.archivedTo));
  if (input.recordsInFile !== null || input.rowsLoaded !== null || input.rowsRejected !== null) {
    field(
      'Rows',
      `${count(input.recordsInFile)} in file, ${count(input.rowsLoaded)} loaded, ${count(input.rowsRejected)} rejected`,
    );
  }
  for (const t of p.targets) {
    const type = t.recordType !== null ? ` (record type ${oneLine(t.recordType)})` : '';
    field(
      'Target',
      `${oneLine(`${t.schema}.${t.table}`)}${type}: ${count(t.rowsLoaded)} loaded, ${count(t.rowsRejected)} rejected`,
    );
  }
  if (input.status === 'SKIPPED' && input.skipReason) field('Reason', oneLine(input.skipReason));
  const committed = committedText(input);
  if (committed) field('Committed', committed);
  if (p.error) {
    const where = p.error.location
      ? oneLine(formatLocation(p.error.location))
      : [
          p.error.line != null ? `line ${p.error.line}` : null,
          p.error.column != null ? `column ${oneLine(String(p.error.column))}` : null,
        ]
          .filter(Boolean)
          .join(', ');
    const [first = '', ...rest] = p.error.message.split('\n');
    field('Error', `${p.error.name}${where ? ` at ${where}` : ''}: ${first}`);
    for (const l of rest) lines.push(`${' '.repeat(11)}${l}`);
  }
  field('Run', oneLine(input.runId));
  if (input.executionId) field('Execution', oneLine(input.executionId));
  field('At', p.at);
  lines.push('', `Next step: ${nextStepText(input, p)}`);
  return lines.join('\n');
}

/** For a run that stopped: what of it is in the warehouse (the truth model's loadCommitted / transformCommitted). */
function committedText(input: NotificationInput): string | null {
  if (input.status !== 'FAILED' && input.status !== 'ABORTED') return null;
  // Its load committed, but a later --reload's load replaced those rows: saying "loaded" would be false.
  if (input.error?.name === 'RunSuperseded') return 'nothing of this run any more: a later --reload replaced its rows.';
  if (input.loadCommitted === true) {
    const rows = input.rowsLoaded !== null ? `${count(input.rowsLoaded)} rows are loaded` : 'the rows are loaded';
    const transform =
      input.transformCommitted === true
        ? '; the transform committed too'
        : input.transformCommitted === false
          ? '; the transform did not commit'
          : input.error?.name === 'TransformFailed'
            ? '; whether the transform committed part of its work is not known (a procedure can COMMIT)'
            : '';
    return `the load committed (${rows})${transform}; a redrive does not load them again.`;
  }
  if (input.loadCommitted === false) return 'nothing: the load did not commit.';
  return null;
}

function headline(input: NotificationInput, p: BodyParts): string {
  const file = oneLine(baseName(input.key));
  switch (input.status) {
    case 'FINISHED':
      return input.rowsLoaded === null
        ? `${file} was loaded; the warehouse did not report how many rows (shown as ?).`
        : `${file} was loaded: ${count(input.rowsLoaded)} rows.`;
    case 'SKIPPED':
      return `${file} was skipped; nothing was loaded.`;
    case 'ABORTED':
      return `Loading ${file} was aborted before it finished.`;
    case 'RUNNING':
      return `${file} is being loaded.`;
    case 'FAILED':
      if (p.error?.kind === 'rejected') {
        return `${file} was rejected: its content is not what the config expects. Nothing was loaded.`;
      }
      if (p.error?.kind === 'transient') {
        return `Loading ${file} failed after repeated temporary errors; the run stopped at the failing step.`;
      }
      return `Loading ${file} failed because of its environment, not its content; the run stopped at the failing step.`;
  }
}

function nextStepText(input: NotificationInput, p: BodyParts): string {
  switch (p.step) {
    case 'send-corrected-file':
      return `send a corrected file (same name pattern) to ${oneLine(toUri(input.bucket, dirName(input.key)))}; this one stays rejected.`;
    case 'redrive':
      return `fix the cause (see Error), then redrive: efi redrive ${oneLine(input.runId)}`;
    case 'none':
      if (input.status !== 'SKIPPED') return 'none.';
      // A copy of content still in flight: --reload would be skipped too until that run ends.
      return input.skipReason?.includes('in flight')
        ? 'none. The run named in Reason is still loading this content: wait for it to end.'
        : 'none. To load the same content again, re-run it with the reload option (efi ingest --reload).';
  }
}

function toUri(bucket: string, keyOrUri: string): string {
  return keyOrUri.startsWith('s3://') ? keyOrUri : `s3://${bucket}/${keyOrUri}`;
}

function baseName(key: string): string {
  const i = key.lastIndexOf('/');
  return i >= 0 ? key.slice(i + 1) : key;
}

function dirName(key: string): string {
  const i = key.lastIndexOf('/');
  return i >= 0 ? key.slice(0, i + 1) : '';
}

function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '?' : n.toLocaleString('en-US');
}

// C0/C1 controls, DEL, and bidi overrides (which can make a file name read backwards in a mail client).
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Removes control characters; keeps line breaks only when asked (as '\n'). */
export function stripControl(s: string, keepNewlines = false): string {
  const t = s.replace(/\r\n?/g, '\n').replace(/\t/g, ' ');
  return keepNewlines ? t.replace(CONTROL, '') : t.replace(/\n/g, ' ').replace(CONTROL, '');
}

function oneLine(s: string): string {
  return stripControl(s).replace(/ {2,}/g, ' ').trim();
}

function asciiLine(s: string): string {
  return oneLine(s)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '?');
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

function ellipsize(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 3) return s.slice(0, Math.max(max, 0));
  const keep = max - 3;
  const tail = Math.floor(keep / 2);
  return `${s.slice(0, keep - tail)}...${s.slice(s.length - tail)}`;
}
