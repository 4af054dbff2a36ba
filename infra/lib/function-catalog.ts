import { Duration } from 'aws-cdk-lib';

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

export interface FunctionSpec {
  /** functions/<folder>/handler.ts */
  folder: string;
  /** Placeholder in statemachine/efi.asl.json, without ${ }; null when not a state. */
  placeholder: string | null;
  /** Construct id. */
  id: string;
  memoryMb: number;
  timeout: Duration;
  needs: FunctionNeeds;
}

// Memory buys CPU on Lambda (1,769 MB = one vCPU): the streaming passes over
// whole files get more; the Data API and bookkeeping calls need little.
export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    folder: 'fetch-config',
    placeholder: 'FetchConfigFunctionArn',
    id: 'FetchConfig',
    memoryMb: 256,
    timeout: Duration.seconds(30),
    needs: { s3: { landing: 'r' }, listBucket: true },
  },
  {
    folder: 'validate-file',
    placeholder: 'ValidateFileFunctionArn',
    id: 'ValidateFile',
    memoryMb: 1024,
    timeout: Duration.minutes(15),
    needs: { s3: { landing: 'r' } },
  },
  {
    folder: 'preprocess',
    placeholder: 'PreprocessFunctionArn',
    id: 'Preprocess',
    memoryMb: 2048,
    timeout: Duration.minutes(15),
    // Preprocess and UseOriginalFile: the parts and every COPY manifest of the run.
    needs: { s3: { landing: 'r', processing: 'w' } },
  },
  {
    folder: 'submit-load',
    placeholder: 'SubmitLoadFunctionArn',
    id: 'SubmitLoad',
    memoryMb: 256,
    timeout: Duration.seconds(60),
    // Only submits: the manifests are Preprocess's (UseOriginalFile included). The store renders lineage s3:// URIs.
    needs: { warehouse: true, storageEnv: true },
  },
  {
    folder: 'check-load',
    placeholder: 'CheckLoadFunctionArn',
    id: 'CheckLoad',
    memoryMb: 512,
    timeout: Duration.minutes(5),
    // Re-reads the original and its parts to locate a rejected row; a resubmit after a redrive writes nothing.
    needs: { warehouse: true, s3: { landing: 'r', processing: 'r' } },
  },
  {
    folder: 'submit-transform',
    placeholder: 'SubmitTransformFunctionArn',
    id: 'SubmitTransform',
    memoryMb: 256,
    timeout: Duration.seconds(60),
    needs: { warehouse: true },
  },
  {
    folder: 'check-transform',
    placeholder: 'CheckTransformFunctionArn',
    id: 'CheckTransform',
    memoryMb: 256,
    timeout: Duration.seconds(60),
    needs: { warehouse: true },
  },
  {
    folder: 'archive',
    placeholder: 'ArchiveFunctionArn',
    id: 'Archive',
    memoryMb: 512,
    timeout: Duration.minutes(15),
    needs: { s3: { landing: 'rd', archive: 'w', processing: 'd' }, listBucket: true },
  },
  {
    folder: 'reject-file',
    placeholder: 'RejectFileFunctionArn',
    id: 'RejectFile',
    memoryMb: 512,
    timeout: Duration.minutes(15),
    needs: { s3: { landing: 'rd', rejected: 'w', processing: 'd' }, listBucket: true },
  },
  {
    folder: 'audit',
    placeholder: 'AuditFunctionArn',
    id: 'Audit',
    memoryMb: 256,
    timeout: Duration.seconds(30),
    needs: {},
  },
  {
    folder: 'notify',
    placeholder: 'NotifyFunctionArn',
    id: 'Notify',
    memoryMb: 256,
    timeout: Duration.seconds(30),
    needs: { notifier: true },
  },
  {
    folder: 'report-failure',
    placeholder: null,
    id: 'ReportFailure',
    memoryMb: 256,
    timeout: Duration.seconds(60),
    needs: { notifier: true },
  },
];
