/**
 * The one table of the state machine's tasks: each `${Placeholder}` Resource of
 * efi.asl.json → the function folder (functions/<folder>/handler.ts) that
 * backs it, plus the functions that are not states (report-failure, the
 * target of the EventBridge rule on the execution's status changes).
 *
 * Read by infra/lib/function-catalog.ts (which adds memory, timeout and
 * needs per folder), by the local runner (cli/local/handlers.ts binds each
 * Task state to its handler through its Resource placeholder) and by
 * test/statemachine/definition.test.ts (every placeholder is in the table,
 * every entry is used, every folder exists). Pure data: imports nothing.
 */
export const TASK_FUNCTIONS = [
  { folder: 'fetch-config', placeholder: 'FetchConfigFunctionArn' },
  { folder: 'validate-file', placeholder: 'ValidateFileFunctionArn' },
  { folder: 'preprocess', placeholder: 'PreprocessFunctionArn' },
  { folder: 'submit-load', placeholder: 'SubmitLoadFunctionArn' },
  { folder: 'check-load', placeholder: 'CheckLoadFunctionArn' },
  { folder: 'submit-transform', placeholder: 'SubmitTransformFunctionArn' },
  { folder: 'check-transform', placeholder: 'CheckTransformFunctionArn' },
  { folder: 'archive', placeholder: 'ArchiveFunctionArn' },
  { folder: 'reject-file', placeholder: 'RejectFileFunctionArn' },
  { folder: 'audit', placeholder: 'AuditFunctionArn' },
  { folder: 'notify', placeholder: 'NotifyFunctionArn' },
] as const;

/** Functions the state machine does not invoke: what triggers each instead. */
export const EVENT_FUNCTIONS = [
  {
    folder: 'report-failure',
    /** The EventBridge rule's detail-type (status FAILED, TIMED_OUT or ABORTED). */
    trigger: 'Step Functions Execution Status Change',
  },
] as const;

export type TaskFolder = (typeof TASK_FUNCTIONS)[number]['folder'];
export type TaskPlaceholder = (typeof TASK_FUNCTIONS)[number]['placeholder'];
export type EventFolder = (typeof EVENT_FUNCTIONS)[number]['folder'];
/** Every functions/<folder> that is deployed as a Lambda. */
export type FunctionFolder = TaskFolder | EventFolder;

export const FUNCTION_FOLDERS: readonly FunctionFolder[] = [
  ...TASK_FUNCTIONS.map((t) => t.folder),
  ...EVENT_FUNCTIONS.map((e) => e.folder),
];

const FOLDER_BY_PLACEHOLDER: ReadonlyMap<string, TaskFolder> = new Map(
  TASK_FUNCTIONS.map((t) => [t.placeholder, t.folder]),
);

/**
 * The folder behind an ASL Resource (`${FetchConfigFunctionArn}` or the bare
 * placeholder), or undefined when the table has no such placeholder.
 *
 * @example folderOfResource('${NotifyFunctionArn}') // 'notify'
 */
export function folderOfResource(resource: string): TaskFolder | undefined {
  const m = /^\$\{(\w+)\}$/.exec(resource);
  return FOLDER_BY_PLACEHOLDER.get(m ? m[1]! : resource);
}
