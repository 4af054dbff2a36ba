import type { ErrorKind } from './errors.ts';

/**
 * One CloudWatch Embedded Metric Format line per failed state invocation,
 * counted by error kind, so the alarms page for operational failures only:
 * a rejected file (thrown so the ASL Catch routes it) and a retried transient
 * error are normal operation. Lambda's own `Errors` metric counts them all.
 *
 * Written only in the Lambda runtime (AWS_LAMBDA_FUNCTION_NAME is set there):
 * the local CLI runs the same handlers and must not print metric JSON.
 */
export const FAILURE_METRIC = 'StateFailures';

export function failureMetricLine(
  kind: ErrorKind,
  state: string,
  errorName: string,
  namespace: string,
  now: number = Date.now(),
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        { Namespace: namespace, Dimensions: [['kind']], Metrics: [{ Name: FAILURE_METRIC, Unit: 'Count' }] },
      ],
    },
    kind,
    state,
    error: errorName,
    [FAILURE_METRIC]: 1,
  });
}

/** Emits the failure metric when running in Lambda; a no-op elsewhere. */
export function emitFailureMetric(
  kind: ErrorKind,
  state: string,
  errorName: string,
  env: Record<string, string | undefined> = process.env,
  log: (line: string) => void = console.log,
): void {
  if (!env['AWS_LAMBDA_FUNCTION_NAME']) return;
  log(failureMetricLine(kind, state, errorName, env['EFI_METRIC_NAMESPACE'] || 'efi'));
}
