/** The CLI's backend for the deployed state machine (Step Functions API), same shapes as the local runner. */
export { RemoteCallFailed, RemoteRedriveRefused, RemoteRunNotFound } from './errors.ts';
export { errorFromCause, type FoldedHistory, foldHistory } from './history.ts';
export { redriveRemote } from './redrive.ts';
export { type ListRemoteRunsOptions, listRemoteRuns } from './runs.ts';
export {
  executionArnFor,
  type RemoteFlags,
  type RemoteSettings,
  resolveRemoteSettings,
  sfnClient,
} from './settings.ts';
export { showRemoteRun } from './show.ts';
export { uploadRemote } from './upload.ts';
