import { describe, expect, it } from 'vitest';
import type { MatchedRun, PreparedLoad, StatementRef } from '../../functions/lib/contract/payloads.ts';
import type { CheckLoadPorts } from '../../functions/lib/steps/check-load.ts';
import { checkLoad } from '../../functions/lib/steps/check-load.ts';
import { checkTransform } from '../../functions/lib/steps/check-transform.ts';

const run = { runId: 'r', bucket: 'b', key: 'k', configId: 'c', configVersion: 1 } as MatchedRun;
const prepared: PreparedLoad = { targets: [], processingPrefix: 'processing/r/', skippedRecords: 0 };
const running = {
  warehouse: { describe: async (id: string) => ({ statementId: id, status: 'STARTED', error: null }) },
} as unknown as CheckLoadPorts;
const policy = { firstWaitSeconds: 5, maxWaitSeconds: 300, maxPolls: 4 };

describe('CheckLoad and CheckTransform on a statement still running', () => {
  it('back off through the returned nextWaitSeconds, then fail StatementStillRunning at the ceiling', async () => {
    let load: StatementRef = {
      statementId: 's1',
      status: 'SUBMITTED',
      attempt: 0,
      polls: 0,
      pollsUnder: 0,
      nextWaitSeconds: 5,
    };
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      load = await checkLoad({ run, prepared, load, redriveCount: 0 }, { ...running, poll: policy });
      waits.push(load.nextWaitSeconds!);
    }
    expect(waits).toEqual([10, 20, 40]);
    await expect(
      checkLoad({ run, prepared, load, redriveCount: 0 }, { ...running, poll: policy }),
    ).rejects.toMatchObject({
      name: 'StatementStillRunning',
    });
    // The redrive polls the same statement again with a fresh count.
    const after = await checkLoad({ run, prepared, load, redriveCount: 1 }, { ...running, poll: policy });
    expect(after).toMatchObject({ statementId: 's1', polls: 1, pollsUnder: 1, nextWaitSeconds: 10 });
  });

  it('applies the same ceiling to the transform', async () => {
    const transform: StatementRef = { statementId: 't1', status: 'STARTED', attempt: 0, polls: 3, pollsUnder: 0 };
    await expect(
      checkTransform({ run, transform, redriveCount: 0 }, { ...running, poll: policy } as never),
    ).rejects.toMatchObject({
      name: 'StatementStillRunning',
      message: expect.stringMatching(/post-load transform statement t1/),
    });
  });
});
