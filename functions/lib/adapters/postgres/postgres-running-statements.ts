import type { StatementProgress } from '../../ports/warehouse.ts';

/**
 * The statements this process is running in the background: what the local
 * warehouse answers describe() from while a statement runs (on PGlite the
 * database itself is busy with the statement's transaction), and what
 * cancel() stops. An entry leaves once its outcome is in the statement log.
 */

export interface RunningStatement {
  readonly statementId: string;
  readonly submittedAt: string;
  readonly progress: StatementProgress;
  readonly abort: AbortController;
  /** The server backend running the transaction, until it is about to commit. */
  backendPid: number | null;
  /** Set right before COMMIT: a cancel from then on can no longer stop it. */
  committing: boolean;
  /** Resolves once the outcome is recorded (never rejects). */
  readonly settled: Promise<void>;
}

export class RunningStatements {
  private readonly byId = new Map<string, RunningStatement>();

  /** Runs `work` in the background as statement `statementId`; the entry is removed when it settles. */
  start(
    statementId: string,
    bytesTotal: number,
    work: (rs: RunningStatement) => Promise<void>,
    hold?: (signal: AbortSignal) => Promise<void>,
  ): RunningStatement {
    let resolve!: () => void;
    const settled = new Promise<void>((r) => {
      resolve = r;
    });
    const rs: RunningStatement = {
      statementId,
      submittedAt: new Date().toISOString(),
      progress: { bytesDone: 0, bytesTotal, rowsDone: 0 },
      abort: new AbortController(),
      backendPid: null,
      committing: false,
      settled,
    };
    this.byId.set(statementId, rs);
    // Started on a later turn, so the submit that called this returns first.
    setImmediate(() => {
      (hold && !rs.abort.signal.aborted ? hold(rs.abort.signal) : Promise.resolve())
        .then(() => work(rs))
        .catch(() => undefined)
        .finally(() => {
          this.byId.delete(statementId);
          resolve();
        });
    });
    return rs;
  }

  get(statementId: string): RunningStatement | undefined {
    return this.byId.get(statementId);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }
}

/** Resolves after `ms` or when `p` settles, whichever is first; never keeps the process alive. */
export function settledWithin(p: Promise<void>, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
    p.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
