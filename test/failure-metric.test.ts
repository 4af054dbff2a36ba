import { describe, expect, it } from 'vitest';
import { emitFailureMetric, failureMetricLine } from '../functions/lib/failure-metric.ts';

describe('the failure metric', () => {
  it('is one Embedded Metric Format line counting the failure under its kind', () => {
    const line = JSON.parse(failureMetricLine('operational', 'CheckLoad', 'LoadFailed', 'efi/Test', 1000));
    expect(line).toEqual({
      _aws: {
        Timestamp: 1000,
        CloudWatchMetrics: [
          { Namespace: 'efi/Test', Dimensions: [['kind']], Metrics: [{ Name: 'StateFailures', Unit: 'Count' }] },
        ],
      },
      kind: 'operational',
      state: 'CheckLoad',
      error: 'LoadFailed',
      StateFailures: 1,
    });
  });

  it('is written in the Lambda runtime only, never by the local CLI', () => {
    const lines: string[] = [];
    emitFailureMetric('rejected', 'ValidateFile', 'TrailerMismatch', {}, (l) => lines.push(l));
    expect(lines).toEqual([]);
    emitFailureMetric(
      'rejected',
      'ValidateFile',
      'TrailerMismatch',
      { AWS_LAMBDA_FUNCTION_NAME: 'f', EFI_METRIC_NAMESPACE: 'efi/X' },
      (l) => lines.push(l),
    );
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      kind: 'rejected',
      _aws: { CloudWatchMetrics: [{ Namespace: 'efi/X' }] },
    });
  });
});
