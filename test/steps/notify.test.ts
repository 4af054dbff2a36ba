import { beforeEach, describe, expect, it } from 'vitest';
import { alreadyNotified, idempotencyKey, notificationMark, notifyRun } from '../../functions/lib/steps/notify.ts';
import { MemoryRunLog, RecordingNotifier } from '../support/fakes/index.ts';

describe('one notification per (run, final status, redrive count)', () => {
  it('remembers FAILED and ABORTED by status and redrive count: each failed attempt is news', () => {
    expect(notificationMark('FAILED', 0)).toBe('FAILED:0');
    expect(alreadyNotified({ notified: 'FAILED:0' }, notificationMark('FAILED', 0))).toBe(true);
    expect(alreadyNotified({ notified: 'FAILED:0' }, notificationMark('FAILED', 1))).toBe(false);
    expect(alreadyNotified({ notified: 'FAILED:1' }, notificationMark('FAILED', 1))).toBe(true);
    expect(alreadyNotified({ notified: 'FAILED:0' }, notificationMark('FINISHED', 0))).toBe(false);
    expect(alreadyNotified({ notified: 'FAILED:0' }, notificationMark('FINISHED', 1))).toBe(false);
    expect(alreadyNotified({ notified: null }, notificationMark('FINISHED', 0))).toBe(false);
  });

  it('tells FINISHED and SKIPPED once per run, whatever redrive told them', () => {
    expect(alreadyNotified({ notified: 'FINISHED:0' }, notificationMark('FINISHED', 1))).toBe(true);
    expect(alreadyNotified({ notified: 'SKIPPED:0' }, notificationMark('SKIPPED', 2))).toBe(true);
  });

  it('keys the message by (run, status) for FINISHED and SKIPPED, and adds the redrive count for FAILED and ABORTED', () => {
    expect(idempotencyKey('r', 'FINISHED', 3)).toBe('r:FINISHED');
    expect(idempotencyKey('r', 'SKIPPED', 3)).toBe('r:SKIPPED');
    expect(idempotencyKey('r', 'ABORTED', 3)).toBe('r:ABORTED:3');
    expect(idempotencyKey('r', 'FAILED', 0)).toBe('r:FAILED:0');
  });
});

describe('notifyRun over in-memory ports', () => {
  let runs: MemoryRunLog;
  let notifier: RecordingNotifier;

  beforeEach(async () => {
    runs = new MemoryRunLog();
    notifier = new RecordingNotifier();
    await runs.register({
      runId: 'run-1',
      executionId: 'arn:exec:run-1',
      bucket: 'bucket',
      key: 'landing/in/a.csv',
      etag: 'e',
      size: 10,
      startedAt: '2026-11-24T10:00:00.000Z',
    });
  });

  it('tells subscribers the run’s status once, and marks the run', async () => {
    await runs.update('run-1', { status: 'FINISHED', rowsLoaded: 2, finished: true });
    expect(await notifyRun({ runId: 'run-1', redriveCount: 0 }, { runs, notifier })).toEqual({ sent: true });
    expect(notifier.sent).toHaveLength(1);
    expect(notifier.sent[0]).toMatchObject({ runId: 'run-1', status: 'FINISHED', key: 'landing/in/a.csv' });
    expect((await runs.get('run-1'))!.notified).toBe('FINISHED:0');
  });

  it('sends nothing when Notify runs again for the same status and attempt', async () => {
    await runs.update('run-1', { status: 'FAILED', finished: true });
    await notifyRun({ runId: 'run-1', redriveCount: 0 }, { runs, notifier });
    expect(await notifyRun({ runId: 'run-1', redriveCount: 0 }, { runs, notifier })).toEqual({ sent: false });
    expect(notifier.sent.map((n) => n.status)).toEqual(['FAILED']);
  });

  it('tells again after a redrive, and when the status changed', async () => {
    await runs.update('run-1', { status: 'FAILED' });
    await notifyRun({ runId: 'run-1', redriveCount: 0 }, { runs, notifier });
    await notifyRun({ runId: 'run-1', redriveCount: 1 }, { runs, notifier });
    await runs.update('run-1', { status: 'FINISHED' });
    await notifyRun({ runId: 'run-1', redriveCount: 1 }, { runs, notifier });
    expect(notifier.sent.map((n) => n.status)).toEqual(['FAILED', 'FAILED', 'FINISHED']);
    expect((await runs.get('run-1'))!.notified).toBe('FINISHED:1');
  });

  it('never sends a RUNNING notification: a run a redrive reset has not ended', async () => {
    await expect(notifyRun({ runId: 'run-1', redriveCount: 1 }, { runs, notifier })).rejects.toThrow(/still RUNNING/);
    expect(notifier.sent).toEqual([]);
  });

  it('refuses a run that Audit never wrote', async () => {
    await expect(notifyRun({ runId: 'run-x', redriveCount: 0 }, { runs, notifier })).rejects.toThrow(
      'run run-x has no audit row; Audit must run before Notify',
    );
    expect(notifier.sent).toEqual([]);
  });
});
