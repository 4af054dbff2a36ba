/**
 * Typed errors. Each class's `name` is the Step Functions error name that the
 * definition's Retry/Catch match (`ErrorEquals` compares `error.name` exactly),
 * so renaming a class is a breaking change to statemachine/efi.asl.json.
 *
 * Three families, mirroring the failure model in docs/architecture.md:
 * - transient: retried with backoff by the state machine;
 * - rejected: the file itself is wrong; caught, file moved to rejected/, run FAILED;
 * - operational: the environment is wrong (missing table, no config, aborted statement);
 *   the execution fails at the failing state so a redrive resumes there.
 *
 * The family of a name is read from the classes in one place (`errorKindOf`,
 * the registry at the end of this file); nothing else lists names by family.
 */

export type ErrorKind = 'transient' | 'rejected' | 'operational';

/**
 * Where in the source file a problem is: one shape for every content error,
 * with only what applies. `line` is the physical line in the original file
 * (1-based); `field` the 1-based field number in that record; `fieldName` the
 * configured column (or header) name of that field; `byteOffset` the 0-based
 * byte position in the (decompressed) file where bytes are the unit
 * (encoding errors, NUL bytes).
 */
export interface ErrorLocation {
  line?: number;
  field?: number;
  fieldName?: string;
  byteOffset?: number;
}

/**
 * The location as messages, the audit and notifications show it.
 *
 * @example
 * formatLocation({ line: 12, field: 3, fieldName: 'amount' }); // 'line 12, field 3 (amount)'
 * formatLocation({ line: 4, byteOffset: 130 }); // 'line 4, byte offset 130'
 */
export function formatLocation(loc: ErrorLocation | null | undefined): string {
  if (!loc) return '';
  const parts: string[] = [];
  if (loc.line !== undefined && loc.line !== null) parts.push(`line ${loc.line}`);
  if (loc.field !== undefined && loc.field !== null) {
    parts.push(`field ${loc.field}${loc.fieldName ? ` (${loc.fieldName})` : ''}`);
  } else if (loc.fieldName) parts.push(`field ${loc.fieldName}`);
  if (loc.byteOffset !== undefined && loc.byteOffset !== null) parts.push(`byte offset ${loc.byteOffset}`);
  return parts.join(', ');
}

/** Only the keys that are set (no undefined or null members). */
function cleanLocation(loc: ErrorLocation): ErrorLocation {
  const out: ErrorLocation = {};
  if (loc.line !== undefined && loc.line !== null) out.line = loc.line;
  if (loc.field !== undefined && loc.field !== null) out.field = loc.field;
  if (loc.fieldName !== undefined && loc.fieldName !== null && loc.fieldName !== '') out.fieldName = loc.fieldName;
  if (loc.byteOffset !== undefined && loc.byteOffset !== null) out.byteOffset = loc.byteOffset;
  return out;
}

/** Longest file value shown in a message, the audit or a notification (issue 8, E14). */
export const VALUE_SHOWN_MAX = 64;

/** Whether file values may appear in messages: a feed's `errors.includeValues` (default true). */
export interface ValuePolicy {
  includeValues: boolean;
}

/**
 * The one formatter for a value from the file in an error message, the audit
 * or a notification: quoted, at most 64 characters with an ellipsis and the
 * full length, or only its length when the feed says `errors.includeValues: false`.
 *
 * @example
 * formatValue('2026-02-30'); // '"2026-02-30"'
 * formatValue('x'.repeat(100)); // '"xxxx…x…" (100 characters)' (64 shown)
 * formatValue('secret', { includeValues: false }); // 'a value of 6 characters (values hidden: errors.includeValues is false)'
 */
export function formatValue(value: string, policy: ValuePolicy = { includeValues: true }): string {
  const chars = Array.from(value);
  if (!policy.includeValues) {
    return `a value of ${chars.length} character${chars.length === 1 ? '' : 's'} (values hidden: errors.includeValues is false)`;
  }
  if (chars.length <= VALUE_SHOWN_MAX) return JSON.stringify(value);
  return `${JSON.stringify(`${chars.slice(0, VALUE_SHOWN_MAX).join('')}…`)} (${chars.length} characters)`;
}

/** A value as the audit stores it (rejected rows): bounded, or null when values are hidden. */
export function boundedValue(value: string | null, policy: ValuePolicy = { includeValues: true }): string | null {
  if (value === null || !policy.includeValues) return null;
  const chars = Array.from(value);
  return chars.length <= VALUE_SHOWN_MAX ? value : `${chars.slice(0, VALUE_SHOWN_MAX).join('')}…`;
}

/** Removes a value from warehouse text that quotes it (e.g. `invalid input syntax for type date: "x"`). */
export function redactValue(text: string, value: string | null, policy: ValuePolicy): string {
  if (value === null || value === '') return text;
  if (!policy.includeValues) return text.split(value).join('<value hidden>');
  const bounded = boundedValue(value, policy)!;
  return bounded === value ? text : text.split(value).join(bounded);
}

export abstract class EfiError extends Error {
  abstract readonly kind: ErrorKind;
  readonly location: ErrorLocation;

  constructor(message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.location = cleanLocation(location);
  }

  get line(): number | undefined {
    return this.location.line;
  }

  toJSON(): SerializedError {
    return serializeError(this);
  }
}

export interface SerializedError {
  name: string;
  message: string;
  line?: number | null;
  /**
   * Legacy single "column" (kept for the audit column `error_column` and the
   * CLI's JSON): the field name when known, else the field number. New readers
   * use `location`.
   */
  column?: number | string | null;
  location?: ErrorLocation | null;
}

/**
 * Where a serialized error happened, as one location: its `location` when it
 * has one, else rebuilt from the legacy `line`/`column` pair (a number is the
 * field number, a name the field's name), so every reader formats it the same.
 */
export function locationOfError(err: SerializedError): ErrorLocation | null {
  if (err.location && Object.keys(err.location).length > 0) return err.location;
  const loc: ErrorLocation = {};
  if (err.line !== undefined && err.line !== null) loc.line = err.line;
  if (typeof err.column === 'number') loc.field = err.column;
  else if (typeof err.column === 'string' && err.column !== '') {
    if (/^\d+$/.test(err.column)) loc.field = Number(err.column);
    else loc.fieldName = err.column;
  }
  return Object.keys(loc).length > 0 ? loc : null;
}

/** `RowRejected at line 57, field 5 (created_on)`: an error's name and place, as one-line summaries show it. */
export function errorNameAndPlace(err: SerializedError): string {
  const where = formatLocation(locationOfError(err));
  return where ? `${err.name} at ${where}` : err.name;
}

/**
 * The error as one line, `Name at place: message`, as `efi show`, `efi check` and `efi ingest` print
 * it. Messages that begin with their own place (`line 1, field 3 (sku): header expected ...`) say it
 * once; one that names the whole place in its own words (`stage.t refused the row at line 57,
 * field 5 (created_on): ...`) keeps it there only.
 */
export function errorLine(err: SerializedError): string {
  const where = formatLocation(locationOfError(err));
  if (where && err.message.startsWith(`${where}: `))
    return `${err.name} at ${where}: ${err.message.slice(where.length + 2)}`;
  if (where && err.message.includes(where)) return `${err.name}: ${err.message}`;
  return `${errorNameAndPlace(err)}: ${err.message}`;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof EfiError) {
    const loc = err.location;
    return {
      name: err.name,
      message: err.message,
      line: loc.line ?? null,
      column: loc.fieldName ?? loc.field ?? null,
      location: Object.keys(loc).length > 0 ? loc : null,
    };
  }
  if (err instanceof Error) return { name: err.name, message: err.message, line: null, column: null };
  return { name: 'Error', message: String(err), line: null, column: null };
}

// ---------------------------------------------------------------- transient
export class TransientError extends EfiError {
  override readonly name: string = 'EfiTransient';
  readonly kind = 'transient' as const;
}

// ---------------------------------------------------------------- rejected content
abstract class RejectedError extends EfiError {
  readonly kind = 'rejected' as const;
}
export class FileTooSmall extends RejectedError {
  override readonly name = 'FileTooSmall';
}
export class FileTooLarge extends RejectedError {
  override readonly name = 'FileTooLarge';
}
export class ExtensionMismatch extends RejectedError {
  override readonly name = 'ExtensionMismatch';
}
/** The file is not compressed the way the config says (mislabelled). */
export class CompressionMismatch extends RejectedError {
  override readonly name = 'CompressionMismatch';
}
/** The file is compressed as configured but its data is truncated or corrupt. */
export class CompressionCorrupt extends RejectedError {
  override readonly name = 'CompressionCorrupt';
}
export class EncodingInvalid extends RejectedError {
  override readonly name = 'EncodingInvalid';
}
export class HeaderMismatch extends RejectedError {
  override readonly name = 'HeaderMismatch';
}
export class TrailerMissing extends RejectedError {
  override readonly name = 'TrailerMissing';
}
export class TrailerInvalid extends RejectedError {
  override readonly name = 'TrailerInvalid';
}
export class TrailerMismatch extends RejectedError {
  override readonly name = 'TrailerMismatch';
}
export class ZeroRecords extends RejectedError {
  override readonly name = 'ZeroRecords';
}
export class UnknownRecordType extends RejectedError {
  override readonly name = 'UnknownRecordType';
}
/** A delimited record with more or fewer fields than its layout (found vs expected). */
export class FieldCountMismatch extends RejectedError {
  override readonly name = 'FieldCountMismatch';
}
export class MalformedRecord extends RejectedError {
  override readonly name = 'MalformedRecord';
}
/** A row the warehouse refused (bad date, too long, wrong type, wrong column count). */
export class RowRejected extends RejectedError {
  override readonly name = 'RowRejected';
}

// ---------------------------------------------------------------- operational
abstract class OperationalError extends EfiError {
  readonly kind = 'operational' as const;
}
export class NoConfigMatch extends OperationalError {
  override readonly name = 'NoConfigMatch';
}
export class AmbiguousConfigMatch extends OperationalError {
  override readonly name = 'AmbiguousConfigMatch';
}
export class ConfigInvalid extends OperationalError {
  override readonly name = 'ConfigInvalid';
}
export class ObjectNotFound extends OperationalError {
  override readonly name = 'ObjectNotFound';
}
/** The load statement failed for a reason other than the file's rows (missing table, permissions). */
export class LoadFailed extends OperationalError {
  override readonly name = 'LoadFailed';
}
export class StatementAborted extends OperationalError {
  override readonly name = 'StatementAborted';
}
export class TransformFailed extends OperationalError {
  override readonly name = 'TransformFailed';
}
/**
 * A load or transform statement still running after the poll ceiling: the
 * execution fails cleanly, long before the 25,000-event history limit, and a
 * redrive goes on polling the same statement (nothing is resubmitted).
 */
export class StatementStillRunning extends OperationalError {
  override readonly name = 'StatementStillRunning';
}
/** A redriven run whose content claim another run took over (`--reload`) meanwhile: it must not load. */
export class ContentClaimLost extends OperationalError {
  override readonly name = 'ContentClaimLost';
}
/**
 * A run redriven after its load committed, whose rows a later `--reload` of the
 * same content replaced meanwhile: it must not report FINISHED for rows it no
 * longer has. The message names the run that superseded it.
 */
export class RunSuperseded extends OperationalError {
  override readonly name = 'RunSuperseded';
}
/** State input that does not match the state contract: a definition or caller bug. */
export class InvalidStateInput extends OperationalError {
  override readonly name = 'InvalidStateInput';
}

// ---------------------------------------------------------------- registry

/**
 * Every error class efi throws, by Step Functions error name. A class listed
 * here gets its family everywhere: the ASL's Retry/Catch (checked by
 * test/statemachine/error-registry.test.ts), the notification's kind and next
 * step, FetchConfig's "was the last run rejected", the remote redrive refusal
 * and the legacy importer.
 */
export const ERROR_CLASSES: ReadonlyArray<new (message: string) => EfiError> = [
  TransientError,
  FileTooSmall,
  FileTooLarge,
  ExtensionMismatch,
  CompressionMismatch,
  CompressionCorrupt,
  EncodingInvalid,
  HeaderMismatch,
  TrailerMissing,
  TrailerInvalid,
  TrailerMismatch,
  ZeroRecords,
  UnknownRecordType,
  FieldCountMismatch,
  MalformedRecord,
  RowRejected,
  NoConfigMatch,
  AmbiguousConfigMatch,
  ConfigInvalid,
  ObjectNotFound,
  LoadFailed,
  StatementAborted,
  TransformFailed,
  ContentClaimLost,
  StatementStillRunning,
  RunSuperseded,
  InvalidStateInput,
];

/** Errors of the Lambda service itself, as Step Functions names them: no efi class throws them, and they clear by themselves. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** Error name → family. Names and kinds are read off one instance of each class, so they cannot drift from the classes. */
export const ERROR_KINDS: ReadonlyMap<string, ErrorKind> = new Map<string, ErrorKind>([
  ...ERROR_CLASSES.map((C): [string, ErrorKind] => {
    const e = new C('');
    return [e.name, e.kind];
  }),
  ...LAMBDA_SERVICE_ERRORS.map((n): [string, ErrorKind] => [n, 'transient']),
]);

/**
 * The family of a Step Functions error name. A name efi does not declare
 * (`States.Timeout`, a `TypeError`) fails the execution where it happened, as
 * an operational error does, so it is `'operational'`.
 *
 * @example
 * errorKindOf('TrailerMismatch'); // 'rejected'
 * errorKindOf('EfiTransient'); // 'transient'
 */
export function errorKindOf(name: string): ErrorKind {
  return ERROR_KINDS.get(name) ?? 'operational';
}

/** The declared names of one family, in declaration order. */
export function errorNamesOfKind(kind: ErrorKind): string[] {
  return [...ERROR_KINDS].filter(([, k]) => k === kind).map(([n]) => n);
}

/** Names the definition routes to the rejection path (its Catch lists). */
export const REJECTED_ERROR_NAMES: readonly string[] = errorNamesOfKind('rejected');

/** Names every Task retries (its Retry lists). */
export const TRANSIENT_ERROR_NAMES: readonly string[] = errorNamesOfKind('transient');

const TRANSIENT_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'InternalServerError',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNREFUSED',
  'EAI_AGAIN',
  '53300', // too_many_connections
  '57P01', // admin_shutdown (also pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
  '08000', // connection_exception
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/**
 * Messages of errors that carry no code: node-postgres raises these when its
 * socket is gone (server stopped, backend terminated, connection timed out),
 * and Redshift reports a serializable isolation violation as error 1023 in
 * the message text (Data API `Error`, or XX000 over the wire).
 */
const TRANSIENT_MESSAGES = [
  /^Connection terminated( unexpectedly| due to connection timeout)?$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^timeout exceeded when trying to connect$/,
  /\b1023\b[\s\S]*serializable isolation violation/i,
];

/** Whether an error text names a failure that clears by itself (e.g. Redshift error 1023). */
export function isTransientMessage(message: string | null | undefined): boolean {
  return !!message && TRANSIENT_MESSAGES.some((re) => re.test(message));
}

/** What a failure carries that says whether it clears by itself; a DescribeStatement failure carries only its text. */
export interface FailureSignals {
  /** SDK error name, driver code or SQLSTATE. */
  code?: string | null;
  httpStatus?: number;
  /** The AWS SDK's own retryable flag (`$retryable`). */
  retryable?: boolean;
  message?: string | null;
}

/**
 * The one rule for "transient": a failure that clears by itself and is worth
 * running again. It serves a thrown error (`classifyError`: ExecuteStatement,
 * a driver, an SDK) and a statement the warehouse reports FAILED
 * (`isTransientStatementError`: DescribeStatement's `Error`, the local
 * statement log), so Redshift error 1023 is transient whichever way it comes back.
 */
export function isTransientFailure(f: FailureSignals): boolean {
  return (
    (!!f.code && TRANSIENT_CODES.has(f.code)) ||
    !!f.retryable ||
    (f.httpStatus !== undefined && f.httpStatus >= 500) ||
    isTransientMessage(f.message)
  );
}

/**
 * A failed statement's error text through the same rule. The text is all
 * DescribeStatement gives; the local warehouse writes a PostgreSQL failure as
 * `message (SQLSTATE xxxxx)`, so its code is read back from the text.
 *
 * @example isTransientStatementError('could not serialize access (SQLSTATE 40001)') // true
 */
export function isTransientStatementError(error: string | null | undefined): boolean {
  const code = error?.match(/\(SQLSTATE ([0-9A-Z]{5})\)/)?.[1] ?? null;
  return isTransientFailure({ code, message: error });
}

/**
 * Maps errors from SDKs and drivers onto the typed families, so the state
 * machine's Retry sees `EfiTransient` whatever library threw.
 */
export function classifyError(err: unknown): Error {
  if (err instanceof EfiError) return err;
  if (err instanceof Error) {
    const signals: FailureSignals = {
      code: (err as { code?: string }).code ?? err.name,
      retryable: !!(err as { $retryable?: unknown }).$retryable,
      message: err.message,
    };
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== undefined) signals.httpStatus = status;
    if (isTransientFailure(signals)) return new TransientError(`${err.name}: ${err.message}`, {}, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
