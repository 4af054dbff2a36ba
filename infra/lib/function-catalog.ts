import { Duration } from 'aws-cdk-lib';
import { EVENT_FUNCTIONS, type FunctionFolder, TASK_FUNCTIONS } from '../../statemachine/tasks.ts';

/** What a function touches; each maps to IAM statements and environment variables. */
export interface FunctionNeeds {
  /** S3 access by prefix: r = GetObject, w = PutObject (+ AbortMultipartUpload), d = DeleteObject. */
  s3?: { landing?: string; processing?: string; archive?: string; rejected?: string };
  /** s3:ListBucket on the bucket, so HeadObject on a missing key answers 404, not 403 (idempotent re-runs). */
  listBucket?: boolean;
  /** Bucket and prefixes in the environment without S3 access (it renders s3:// URIs). */
  storageEnv?: boolean;
  warehouse?: boolean;
  notifier?: boolean;
}

/** What infra decides per function folder; which folder backs which state is statemachine/tasks.ts's. */
export interface FunctionSettings {
  /** Construct id. */
  id: string;
  memoryMb: number;
  /** The Lambda timeout; a Task state's TimeoutSeconds equals it (test/infra/function-catalog.test.ts checks). */
  timeout: Duration;
  needs: FunctionNeeds;
}

export interface FunctionSpec extends FunctionSettings {
  /** functions/<folder>/handler.ts */
  folder: FunctionFolder;
  /** Placeholder in statemachine/efi.asl.json, without ${ }; null when not a state. */
  placeholder: string | null;
}

// Memory buys CPU on Lambda (1,769 MB = one vCPU): the streaming passes over
// whole files get more; the Data API and bookkeeping calls need little.
const SETTINGS: Record<FunctionFolder, FunctionSettings> = {
  'fetch-config': {
    id: 'FetchConfig',
    memoryMb: 256,
    timeout: Duration.seconds(30),
    needs: { s3: { landing: 'r' }, listBucket: true },
  },
  'validate-file': {
    id: 'ValidateFile',
    memoryMb: 1024,
    timeout: Duration.minutes(15),
    needs: { s3: { landing: 'r' } },
  },
  preprocess: {
    id: 'Preprocess',
    memoryMb: 2048,
    timeout: Duration.minutes(15),
    // Preprocess and UseOriginalFile: the parts and every COPY manifest of the run.
    needs: { s3: { landing: 'r', processing: 'w' } },
  },
  'submit-load': {
    id: 'SubmitLoad',
    memoryMb: 256,
    timeout: Duration.seconds(60),
    // Writes nothing (every manifest is Preprocess's, UseOriginalFile's included); reads the part list in
    // processing/ and, for a load of the original in place, heads it in landing (steps/original-object.ts).
    needs: { warehouse: true, s3: { landing: 'r', processing: 'r' } },
  },
  'check-load': {
    id: 'CheckLoad',
    memoryMb: 512,
    timeout: Duration.minutes(5),
    // Re-reads the original and its parts to locate a rejected row; a resubmit after a redrive writes nothing.
    needs: { warehouse: true, s3: { landing: 'r', processing: 'r' } },
  },
  'submit-transform': {
    id: 'SubmitTransform',
    memoryMb: 256,
    timeout: Duration.seconds(60),
    // Renders the run's s3:// source URI for the transform's :source_file parameter.
    needs: { warehouse: true, storageEnv: true },
  },
  'check-transform': {
    id: 'CheckTransform',
    memoryMb: 256,
    timeout: Duration.seconds(60),
    // Renders the run's s3:// source URI for the transform's :source_file parameter.
    needs: { warehouse: true, storageEnv: true },
  },
  archive: {
    id: 'Archive',
    memoryMb: 512,
    timeout: Duration.minutes(15),
    needs: { s3: { landing: 'rd', archive: 'w', processing: 'd' }, listBucket: true },
  },
  'reject-file': {
    id: 'RejectFile',
    memoryMb: 512,
    timeout: Duration.minutes(15),
    needs: { s3: { landing: 'rd', rejected: 'w', processing: 'd' }, listBucket: true },
  },
  audit: {
    id: 'Audit',
    memoryMb: 256,
    timeout: Duration.seconds(30),
    needs: {},
  },
  notify: {
    id: 'Notify',
    memoryMb: 256,
    timeout: Duration.seconds(30),
    needs: { notifier: true },
  },
  'report-failure': {
    id: 'ReportFailure',
    memoryMb: 256,
    timeout: Duration.seconds(60),
    // Cancels a stopped execution's running statement (CancelStatement) and reads whether the load committed.
    needs: { notifier: true, warehouse: true },
  },
};

/** One spec per function folder of statemachine/tasks.ts, in the table's order. */
export const FUNCTIONS: readonly FunctionSpec[] = [
  ...TASK_FUNCTIONS.map((t) => ({ ...SETTINGS[t.folder], folder: t.folder, placeholder: t.placeholder })),
  ...EVENT_FUNCTIONS.map((e) => ({ ...SETTINGS[e.folder], folder: e.folder, placeholder: null })),
];
