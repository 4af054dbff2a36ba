export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'ABORTED' | 'SKIPPED';

/** What subscribers receive for a file's final status. Carries run id and status so receivers can dedupe. */
export interface StatusNotification {
  runId: string;
  status: RunStatus;
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
  publish(n: StatusNotification): Promise<void>;
}
