import type { Kysely } from 'kysely';
import type { Notifier, StatusNotification } from '../../ports/notifier.ts';
import type { EfiDatabase } from '../config-db/schema.ts';

/**
 * Local notifications: rows in `efi.outbox` (what SNS and EventBridge would
 * have received), optionally echoed to stderr so a person running the CLI sees them.
 */
export class OutboxNotifier implements Notifier {
  constructor(
    private readonly db: Kysely<EfiDatabase>,
    private readonly echo: ((n: StatusNotification) => void) | null = null,
  ) {}

  /** A key already in the outbox inserts nothing (a Notify re-run after a crash), and echoes nothing. */
  async publish(n: StatusNotification): Promise<void> {
    const r = await this.db
      .insertInto('efi.outbox')
      .values({
        run_id: n.runId,
        status: n.status,
        subject: n.subject,
        body: n.body,
        detail: JSON.stringify(n.detail) as never,
        idempotency_key: n.idempotencyKey ?? null,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 1) > 0) this.echo?.(n);
  }
}
