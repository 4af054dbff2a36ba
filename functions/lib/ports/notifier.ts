export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'ABORTED' | 'SKIPPED';

/** What subscribers receive for a file's final status. Carries run id and status so receivers can dedupe. */
export interface StatusNotification {
  runId: string;
  status: RunStatus;
  /**
   * One key per (run, final status, redrive count) (steps/notify.ts): the
   * outbox stores it unique; SNS carries it as a message attribute (and as the
   * deduplication id on a FIFO topic), EventBridge in the detail.
   */
  idempotencyKey?: string;
  interface: string | null;
  configId: string | null;
  bucket: string;
  key: string;
  /** Readable, under 100 characters, no control characters. */
  subject: string;
  /** Readable multi-line text for email/chat. */
  body: string;
  /** Machine-readable detail (also the EventBridge event detail). */
  detail: Record<string, unknown>;
}

export interface Notifier {
  /** Publishes; with `idempotencyKey` a second publish of the same key sends nothing where the channel allows it. */
  publish(n: StatusNotification): Promise<void>;
}
