import type { StatementProgress, StatementState, Warehouse } from '../../functions/lib/ports/warehouse.ts';
import type { AslDefinition } from './definition.ts';
import type { Handler } from './handlers.ts';

/** A running statement of an execution, as `efi ingest` shows it. */
export interface StatementProgressEvent {
  /** The Task state that submitted it (SubmitLoad, SubmitTransform, or a Check that resubmitted). */
  state: string;
  statementId: string;
  status: StatementState;
  progress: StatementProgress | null;
}

/** How often the progress of a running statement is read (from the warehouse's memory, not its database). */
const PROGRESS_EVERY_MS = 1_000;

/**
 * The warehouse statements of one execution, seen from the runner: which
 * statements its Tasks submitted (read from their results), so that an
 * abort, a Task exceeding its TimeoutSeconds or a failed execution cancels
 * them. What aws-local-stepfunctions cannot do on its own: it abandons a timed
 * out or aborted Task's handler, whose statement would go on and commit.
 *
 * The Task timers here run beside the library's own (both from the state's
 * TimeoutSeconds), because the persisted event log can lag while a PGlite
 * load holds the database.
 */
export class RunStatements {
  private readonly ids = new Map<string, string>();
  private readonly settled = new Set<string>();
  private readonly inFlight = new Map<string, number>();
  private stopped: string | null = null;
  private cancelling: Promise<void> | null = null;
  private readonly poll: NodeJS.Timeout | null;

  constructor(
    private readonly warehouse: () => Promise<Warehouse>,
    private readonly definition: AslDefinition,
    private readonly onStatement?: (e: StatementProgressEvent) => void,
  ) {
    this.poll = onStatement ? setInterval(() => void this.report(), PROGRESS_EVERY_MS) : null;
    this.poll?.unref();
  }

  /** The Task handlers, each tracking the statements it returns and armed with its state's TimeoutSeconds. */
  wrap(handlers: Record<string, Handler>): Record<string, Handler> {
    return Object.fromEntries(
      Object.entries(handlers).map(([state, h]) => [state, (event: unknown) => this.invoke(state, h, event)]),
    );
  }

  private async invoke(state: string, h: Handler, event: unknown): Promise<unknown> {
    const seconds = Number(this.definition.States[state]?.['TimeoutSeconds'] ?? 0);
    let timer: NodeJS.Timeout | null = null;
    // Fails the Task with States.Timeout, as the library's own timer does at the
    // same moment, and then stops what the abandoned handler had started.
    const timeout = new Promise<never>((_, reject) => {
      if (seconds <= 0) return;
      timer = setTimeout(() => {
        reject(
          Object.assign(new Error(`${state} did not finish within its TimeoutSeconds (${seconds} s)`), {
            name: 'States.Timeout',
          }),
        );
        void this.cancelAll(`cancelled: ${state} exceeded its TimeoutSeconds (${seconds} s)`);
      }, seconds * 1000);
      timer.unref();
    });
    this.inFlight.set(state, (this.inFlight.get(state) ?? 0) + 1);
    const work = h(event).then((result) => {
      this.track(state, result);
      return result;
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      if (timer) clearTimeout(timer);
      const n = (this.inFlight.get(state) ?? 1) - 1;
      if (n > 0) this.inFlight.set(state, n);
      else this.inFlight.delete(state);
    }
  }

  private track(state: string, result: unknown): void {
    const ref = result as { statementId?: unknown; status?: unknown } | null;
    if (typeof ref?.statementId !== 'string' || ref.statementId === 'none') return;
    if (!this.ids.has(ref.statementId)) this.ids.set(ref.statementId, state);
    if (ref.status === 'FINISHED' || ref.status === 'FAILED' || ref.status === 'ABORTED') {
      this.settled.add(ref.statementId);
    }
    // Submitted by a handler that outlived the execution's stop: stop it too.
    if (this.stopped && !this.settled.has(ref.statementId)) void this.cancelOne(ref.statementId, this.stopped);
  }

  /** The Task states running now (where an abort or timeout caught the execution). */
  running(): string[] {
    return [...this.inFlight.keys()];
  }

  /** Cancels every statement of the execution that has not settled; resolves once each is rolled back (or had committed). */
  cancelAll(reason: string): Promise<void> {
    this.stopped ??= reason;
    const previous = this.cancelling ?? Promise.resolve();
    this.cancelling = previous.then(async () => {
      for (const id of this.ids.keys()) if (!this.settled.has(id)) await this.cancelOne(id, reason);
    });
    return this.cancelling;
  }

  private async cancelOne(id: string, reason: string): Promise<void> {
    try {
      await (await this.warehouse()).cancel(id, reason);
    } catch (e) {
      console.error(`[efi] could not cancel statement ${id}: ${(e as Error).message}`);
    }
  }

  /** One line per statement of the execution: how it ended (after cancelAll: what was rolled back, what had committed). */
  async summary(): Promise<string[]> {
    const wh = await this.warehouse();
    const lines: string[] = [];
    for (const [id, state] of this.ids) {
      const st = await wh.describe(id).catch(() => null);
      if (!st) continue;
      const what = /Transform/.test(state) ? 'transform' : 'load';
      lines.push(
        st.status === 'FINISHED'
          ? `the ${what} (statement ${id}) had committed before the stop`
          : `the ${what} (statement ${id}) is ${st.status}${st.error ? ` (${st.error})` : ''}: rolled back, nothing of it committed`,
      );
    }
    return lines;
  }

  /** Stops reading progress. */
  close(): void {
    if (this.poll) clearInterval(this.poll);
  }

  private reporting = false;

  private async report(): Promise<void> {
    if (this.reporting || !this.onStatement) return;
    this.reporting = true;
    try {
      const wh = await this.warehouse();
      for (const [id, state] of this.ids) {
        if (this.settled.has(id)) continue;
        const st = await wh.describe(id);
        if (st.status === 'FINISHED' || st.status === 'FAILED' || st.status === 'ABORTED') this.settled.add(id);
        this.onStatement({ state, statementId: id, status: st.status, progress: st.progress ?? null });
      }
    } catch {
      // Progress is best effort; the Check states report the outcome.
    } finally {
      this.reporting = false;
    }
  }
}
