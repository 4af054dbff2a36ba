import type { Notifier, StatusNotification } from '../../../functions/lib/ports/notifier.ts';

/** A Notifier that records what it was asked to publish. */
export class RecordingNotifier implements Notifier {
  readonly sent: StatusNotification[] = [];

  async publish(n: StatusNotification): Promise<void> {
    this.sent.push(n);
  }
}
