import type { Kysely } from 'kysely';
import type { EfiDatabase } from '../../functions/lib/adapters/config-db/schema.ts';
import type { Handler } from './handlers.ts';

/** One event of the local history, as the runner persists it in efi.execution_events. */
export interface HistoryEvent {
  type: string;
  state: string | null;
  input?: unknown;
  output?: unknown;
  error?: string | null;
  cause?: string | null;
  at: number;
}

type AslState = { Type: string; ResultPath?: string | null } & Record<string, unknown>;

/**
 * The one writer of an execution's history (efi.execution_events): appends
 * are serialised (seq order is the order they were asked for) and each is
 * awaited before its progress line is printed, so what a person sees never
 * runs ahead of what a redrive will find.
 *
 * aws-local-stepfunctions hands its events over asynchronously
 * (`execution.eventLogs`), so a process killed mid-run would leave the
 * history several states behind. `durableTask` closes that gap for Task
 * states: before a handler runs it waits until the state's entry (the input a
 * redrive resumes with) is persisted, and before it hands the result back it
 * persists the state's exit with its output (the library's own later
 * StateExited for that attempt is then dropped). So after a kill anywhere the
 * history ends at the state that was running, or at the last completed one.
 */
export class HistoryWriter {
  private chain: Promise<void> = Promise.resolve();
  /** Entries (StateEntered / StateRetried) persisted per state, and the last entered input. */
  private readonly entries = new Map<string, number>();
  private readonly enteredInput = new Map<string, unknown>();
  private readonly waiters: { state: string; n: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** The first write that failed: later writes are skipped, waiters and flush see it. */
  private failure: unknown = null;
  /** States whose current attempt's exit the task wrapper already wrote. */
  private readonly exitWritten = new Set<string>();
  /** The execution ended (see `close`): nothing more belongs to this history. */
  private closed = false;

  constructor(
    private readonly db: Kysely<EfiDatabase>,
    private readonly executionId: string,
    private readonly redriveCount: number,
    private seq: number,
    private readonly onEvent: (e: HistoryEvent) => void,
  ) {}

  /** An event of the library's log (the consumer of `eventLogs` calls this for each, in order). */
  fromLog(e: HistoryEvent): Promise<void> {
    if (e.type === 'StateExited' && e.state && this.exitWritten.delete(e.state)) return this.chain;
    return this.append(e);
  }

  append(e: HistoryEvent): Promise<void> {
    if (this.closed) return this.chain;
    const write = async () => {
      if (this.failure) return;
      await this.db
        .insertInto('efi.execution_events')
        .values({
          execution_id: this.executionId,
          seq: ++this.seq,
          redrive_count: this.redriveCount,
          type: e.type,
          state_name: e.state,
          input: e.input === undefined ? null : JSON.stringify(e.input),
          output: e.output === undefined ? null : JSON.stringify(e.output),
          error: e.error ?? null,
          cause: e.cause ?? null,
          at: new Date(e.at),
        })
        .execute();
      if (e.state && (e.type === 'StateEntered' || e.type === 'StateRetried')) {
        if (e.type === 'StateEntered') this.enteredInput.set(e.state, e.input);
        const n = (this.entries.get(e.state) ?? 0) + 1;
        this.entries.set(e.state, n);
        for (const w of this.waiters.filter((x) => x.state === e.state && x.n <= n)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      this.onEvent(e);
    };
    const done = this.chain.then(write);
    this.chain = done.catch((err: unknown) => {
      this.failure ??= err;
      for (const w of this.waiters.splice(0)) w.reject(err);
    });
    return this.chain;
  }

  /** Resolves once the n-th entry (entered or retried) of `state` is persisted. */
  entered(state: string, n: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if ((this.entries.get(state) ?? 0) >= n) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ state, n, resolve, reject }));
  }

  /** Persists a Task's exit with the state output its result makes (ResultPath applied to the entered input). */
  async exited(state: string, def: AslState, result: unknown): Promise<void> {
    this.exitWritten.add(state);
    const output = applyResultPath(this.enteredInput.get(state), result, def.ResultPath);
    await this.append({ type: 'StateExited', state, input: this.enteredInput.get(state), output, at: Date.now() });
    if (this.failure) throw this.failure;
  }

  /**
   * Ends this history once the execution has ended and its last event is
   * written. A Task the library abandoned on an abort or timeout may still
   * finish later; its exit is not part of this execution any more, and
   * writing it would take a seq that a redrive's own writer also takes.
   */
  close(): void {
    this.closed = true;
  }

  /** Waits for every append asked for so far; throws the first that failed. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }
}

/**
 * A state's output from its raw input and its result, as ResultPath places
 * it (JSONPath `$`, `$.a.b`, null = discard the result, absent = the result).
 * The definition uses no OutputPath or ResultSelector on Task states
 * (test/cli/local/history-writer.test.ts holds this against the library).
 */
export function applyResultPath(input: unknown, result: unknown, resultPath: string | null | undefined): unknown {
  if (resultPath === undefined || resultPath === '$') return result;
  if (resultPath === null) return input;
  const keys = resultPath.replace(/^\$\.?/, '').split('.');
  const out = structuredClone((input ?? {}) as Record<string, unknown>);
  let at: Record<string, unknown> = out;
  for (const k of keys.slice(0, -1)) {
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  at[keys.at(-1)!] = result;
  return out;
}

/** `EFI_TEST_CRASH_AT=<State>:<before|after>`: the crash suite's hook (test/truth/crash.suite.ts). */
export const CRASH_AT_ENV = 'EFI_TEST_CRASH_AT';
/**
 * `EFI_TEST_PAUSE_AT=<State>:<before|after>` with `EFI_TEST_PAUSE_FILE=<path>`:
 * the process creates the file there and waits until the test deletes it (the
 * suite stops and restarts the PostgreSQL server meanwhile).
 */
export const PAUSE_AT_ENV = 'EFI_TEST_PAUSE_AT';

async function testHook(state: string, when: 'before' | 'after'): Promise<void> {
  const at = `${state}:${when}`;
  if (process.env[CRASH_AT_ENV] === at) process.kill(process.pid, 'SIGKILL');
  const file = process.env['EFI_TEST_PAUSE_FILE'];
  if (process.env[PAUSE_AT_ENV] === at && file) {
    const fs = await import('node:fs');
    fs.writeFileSync(file, String(process.pid));
    while (fs.existsSync(file)) await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A Task state's handler, made durable: its entry is persisted before the
 * handler runs and its exit (with output) before the result is handed back.
 * The test hook kills the process before the handler runs (entry persisted)
 * or after it did its work but before its exit is persisted (the redrive runs
 * the state again); a kill after the exit is the next state's "before".
 */
const hooked = !!(process.env[CRASH_AT_ENV] || process.env[PAUSE_AT_ENV]);

export function durableTask(state: string, def: AslState, handler: Handler, history: HistoryWriter): Handler {
  let attempts = 0;
  return async (event) => {
    await history.entered(state, ++attempts);
    if (hooked) await testHook(state, 'before');
    const result = await handler(event);
    // 'after': the work is done but not yet recorded: a redrive re-runs the state (it must be safe to).
    if (hooked) await testHook(state, 'after');
    await history.exited(state, def, result);
    return result;
  };
}
