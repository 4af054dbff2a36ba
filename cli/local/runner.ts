import './polyfill.ts';
import { randomBytes } from 'node:crypto';
import type { StateMachine as StateMachineType } from 'aws-local-stepfunctions';
import { sql } from 'kysely';
import type { Deps } from '../../functions/lib/compose.ts';
import type { ExecutionInput } from '../../functions/lib/contract/payloads.ts';
import type { FunctionFolder } from '../../statemachine/tasks.ts';
import { foldExecution } from '../history/fold.ts';
import { redriveDecision } from '../history/redrive-rule.ts';
import { type AslDefinition, loadDefinition, substitutePlaceholders } from './definition.ts';
import { folderHandlers, type Handler, taskHandlersByState } from './handlers.ts';
import { localFoldEvents } from './history.ts';
import { durableTask, type HistoryEvent, HistoryWriter } from './history-writer.ts';
import { PROCESS_OWNER, recoverDeadExecutions, startHeartbeat } from './recovery.ts';
import { RunStatements, type StatementProgressEvent } from './run-statements.ts';
import { localStatusChangeEvent } from './status-change.ts';

const { StateMachine } = await import('aws-local-stepfunctions');

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ProgressEvent {
  executionId: string;
  name: string;
  type: string;
  state: string | null;
  error: string | null;
  cause: string | null;
  at: number;
}

export interface ExecutionOutcome {
  executionId: string;
  name: string;
  status: ExecutionStatus;
  output: unknown;
  error: string | null;
  cause: string | null;
  redriveCount: number;
}

export interface RunOpts {
  onProgress?: (e: ProgressEvent) => void;
  /** Receives the abort function while the execution runs (Ctrl-C → ABORTED); it cancels the run's running statements. */
  onAbortable?: (abort: (reason?: string) => void) => void;
  /** Progress of the run's running warehouse statements, about once a second. */
  onStatement?: (e: StatementProgressEvent) => void;
}

const LOCAL_ARN_PREFIX = 'arn:aws:states:local:000000000000:execution:efi:';

export class RedriveRefused extends Error {
  override readonly name = 'RedriveRefused';
}

/**
 * Runs statemachine/efi.asl.json in-process with aws-local-stepfunctions, the
 * Task states bound through their Resource placeholder (statemachine/tasks.ts)
 * to the same handlers CDK deploys. Every event is
 * persisted (efi.executions / efi.execution_events) so `efi runs`, `efi show`
 * and `efi redrive` work across processes, like the Step Functions console.
 */
export class LocalRunner {
  private constructor(
    private readonly rt: Deps,
    private readonly definition: AslDefinition,
    private readonly machine: StateMachineType,
    /** Function folder → handler: the Tasks' and report-failure's (statemachine/tasks.ts). */
    private readonly handlers: Record<FunctionFolder, Handler>,
    /** Task state name → handler, bound through each state's Resource placeholder (taskHandlersByState on the unsubstituted definition). */
    private readonly taskHandlers: Record<string, Handler>,
  ) {}

  private recovered: Promise<string[]> | null = null;

  /**
   * Makes the runs of dead processes redrivable (cli/local/recovery.ts), once
   * per runner, before it starts or redrives anything.
   */
  recoverDead(): Promise<string[]> {
    this.recovered ??= recoverDeadExecutions(this.rt, this.definition, {
      reportFailure: this.handlers['report-failure'],
    }).catch((e) => {
      this.recovered = null;
      throw e;
    });
    return this.recovered;
  }

  /**
   * The runner's handlers are built from `rt`, the local deps (no process-wide
   * state). `definition` replaces statemachine/efi.asl.json (tests: a tiny TimeoutSeconds).
   */
  static create(rt: Deps, opts: { definition?: AslDefinition } = {}): LocalRunner {
    const raw = opts.definition ?? loadDefinition();
    const handlers = folderHandlers(rt);
    const def = substitutePlaceholders(raw);
    // Built once per process: construction validates the definition (~75 ms).
    return new LocalRunner(rt, def, new StateMachine(def as never), handlers, taskHandlersByState(raw, handlers));
  }

  static newExecutionName(now = new Date()): string {
    const ts = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    return `${ts}-${randomBytes(3).toString('hex')}`;
  }

  async start(input: ExecutionInput, opts: RunOpts & { name?: string } = {}): Promise<ExecutionOutcome> {
    const name = opts.name ?? LocalRunner.newExecutionName();
    const executionId = `${LOCAL_ARN_PREFIX}${name}`;
    const startedAt = new Date();
    const db = await this.rt.db();
    await this.recoverDead();
    await db
      .insertInto('efi.executions')
      .values({
        execution_id: executionId,
        name,
        status: 'RUNNING',
        input: JSON.stringify(input),
        output: null,
        error: null,
        cause: null,
        started_at: startedAt,
        stopped_at: null,
        owner_host: PROCESS_OWNER.host,
        owner_pid: PROCESS_OWNER.pid,
        owner_token: PROCESS_OWNER.token,
        heartbeat_at: startedAt,
      })
      .execute();
    return this.execute(this.machine, input, { executionId, name, startedAt, redriveCount: 0, seq: 0, input }, opts);
  }

  /** Resumes a failed execution at the state that failed, as Step Functions' RedriveExecution does. */
  async redrive(nameOrId: string, opts: RunOpts = {}): Promise<ExecutionOutcome> {
    const db = await this.rt.db();
    await this.recoverDead();
    const executionId = nameOrId.startsWith(LOCAL_ARN_PREFIX) ? nameOrId : `${LOCAL_ARN_PREFIX}${nameOrId}`;
    const ex = await db
      .selectFrom('efi.executions')
      .selectAll()
      .where('execution_id', '=', executionId)
      .executeTakeFirst();
    if (!ex) throw new RedriveRefused(`no local execution named ${nameOrId}; list them with: efi runs`);
    const events = await db
      .selectFrom('efi.execution_events')
      .selectAll()
      .where('execution_id', '=', executionId)
      .where('redrive_count', '=', ex.redrive_count)
      .orderBy('seq')
      .execute();
    const decision = redriveDecision(
      { status: ex.status, error: ex.error, input: ex.input, history: foldExecution(localFoldEvents(events)) },
      this.definition,
    );
    if (!decision.ok || !decision.state) throw new RedriveRefused(`run ${ex.name} ${decision.reason}`);
    const stateName = decision.state;
    const maxSeq = await db
      .selectFrom('efi.execution_events')
      .select(sql<number>`coalesce(max(seq), 0)`.as('m'))
      .where('execution_id', '=', executionId)
      .executeTakeFirstOrThrow();
    const redriveCount = ex.redrive_count + 1;
    await db
      .updateTable('efi.executions')
      .set({
        status: 'RUNNING',
        redrive_count: redriveCount,
        error: null,
        cause: null,
        stopped_at: null,
        owner_host: PROCESS_OWNER.host,
        owner_pid: PROCESS_OWNER.pid,
        owner_token: PROCESS_OWNER.token,
        heartbeat_at: new Date(),
      })
      .where('execution_id', '=', executionId)
      .execute();
    const runs = await this.rt.runs();
    const run = await runs.get(ex.name);
    // A FINISHED run (loaded, archived, audited; only its message owed) keeps its outcome through the redrive.
    if (run && run.status !== 'FINISHED' && run.status !== 'SKIPPED') {
      await runs.update(run.runId, { status: 'RUNNING', redriveCount, finished: false });
    } else if (run) await runs.update(run.runId, { redriveCount });

    const def = structuredClone(this.definition);
    def.StartAt = stateName;
    // The clone starts mid-graph; its shape was validated when the original machine was built.
    const machine = new StateMachine(def as never, { validationOptions: { noValidate: true } });
    return this.execute(
      machine,
      decision.input,
      {
        executionId,
        name: ex.name,
        startedAt: new Date(ex.started_at),
        redriveCount,
        seq: Number(maxSeq.m),
        input: ex.input,
      },
      opts,
    );
  }

  private async execute(
    machine: StateMachineType,
    input: unknown,
    ctx: { executionId: string; name: string; startedAt: Date; redriveCount: number; seq: number; input: unknown },
    opts: RunOpts,
  ): Promise<ExecutionOutcome> {
    const db = await this.rt.db();
    const statements = new RunStatements(() => this.rt.warehouse(), this.definition, opts.onStatement);
    const history = new HistoryWriter(db, ctx.executionId, ctx.redriveCount, ctx.seq, (e: HistoryEvent) =>
      opts.onProgress?.({
        executionId: ctx.executionId,
        name: ctx.name,
        type: e.type,
        state: e.state,
        error: e.error ?? null,
        cause: e.cause ?? null,
        at: e.at,
      }),
    );
    const taskHandlers = Object.fromEntries(
      Object.entries(this.taskHandlers).map(([state, h]) => [
        state,
        durableTask(state, this.definition.States[state] as never, h, history),
      ]),
    );
    const stopHeartbeat = startHeartbeat(db, ctx.executionId);
    const execution = machine.run(input as never, {
      context: {
        Execution: {
          Id: ctx.executionId,
          Name: ctx.name,
          StartTime: ctx.startedAt.toISOString(),
          Input: ctx.input as never,
          RedriveCount: ctx.redriveCount,
        },
      },
      overrides: {
        taskResourceLocalHandlers: statements.wrap(taskHandlers) as never,
        waitTimeOverrides: waitOverrides(this.definition),
        retryIntervalOverrides: retryOverrides(this.definition),
      },
    });
    let abortedAt: string[] = [];
    let abortReason = '';
    opts.onAbortable?.((reason = 'the run was aborted') => {
      // The first stop says why (a second Ctrl-C, or a server stop after its client's, changes nothing).
      if (abortReason) return;
      abortedAt = statements.running();
      abortReason = reason;
      execution.abort();
      // The library abandons the running Task; its statement must not go on and commit.
      void statements.cancelAll(`cancelled: ${reason}`);
    });
    // Observe the result now: it rejects while the event log is still being read.
    const settled = execution.result.then(
      (output) => ({ output }),
      () => ({ output: null }),
    );

    let final: { status: ExecutionStatus; error: string | null; cause: string | null; output: unknown } | null = null;
    try {
      for await (const ev of execution.eventLogs) {
        const e = ev as unknown as {
          type: string;
          timestamp: number;
          state?: { name: string; input?: unknown; output?: unknown };
          Error?: string;
          Cause?: unknown;
          output?: unknown;
        };
        const cause = e.Cause === undefined ? null : typeof e.Cause === 'string' ? e.Cause : JSON.stringify(e.Cause);
        // Not awaited one by one: the task wrapper waits for what it needs; the order is the writer's.
        void history.fromLog({
          type: e.type,
          state: e.state?.name ?? null,
          input: e.state?.input,
          output: e.state?.output,
          error: e.Error ?? null,
          cause,
          at: e.timestamp,
        });
        if (e.type === 'ExecutionSucceeded')
          final = { status: 'SUCCEEDED', error: null, cause: null, output: e.output };
        else if (e.type === 'ExecutionFailed')
          final = { status: 'FAILED', error: e.Error ?? null, cause, output: null };
        else if (e.type === 'ExecutionAborted') final = { status: 'ABORTED', error: null, cause: null, output: null };
        else if (e.type === 'ExecutionTimeout') {
          final = { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'execution timed out', output: null };
        }
      }
      await history.flush();
      history.close();
    } finally {
      stopHeartbeat();
    }
    // How it ended comes from the event log; the result only carries a success's output.
    const { output } = (await settled) as { output: unknown };
    if (!final) final = { status: 'SUCCEEDED', error: null, cause: null, output };
    if (final.status === 'SUCCEEDED') final.output = output ?? final.output;
    statements.close();
    if (final.status !== 'SUCCEEDED') {
      // Before anything reads whether the load committed: nothing of the run may still be running.
      await statements.cancelAll(`cancelled: the run ended ${final.status}`);
      if (final.status === 'ABORTED') {
        const where = abortedAt.length ? ` at ${abortedAt.join(', ')}` : '';
        const said = (await statements.summary()).join('; ');
        final.error = 'ExecutionAborted';
        final.cause = `stopped${where} (${abortReason || 'aborted'})${said ? `; ${said}` : '; no warehouse statement was running'}`;
      }
    }

    await db
      .updateTable('efi.executions')
      .set({
        status: final.status,
        output: final.output === null || final.output === undefined ? null : JSON.stringify(final.output),
        error: final.error,
        cause: final.cause,
        stopped_at: new Date(),
      })
      .where('execution_id', '=', ctx.executionId)
      .execute();

    if (final.status !== 'SUCCEEDED') {
      // What the EventBridge rule on Execution Status Change does in AWS: invoke report-failure's handler.
      await this.handlers['report-failure'](
        localStatusChangeEvent({
          executionArn: ctx.executionId,
          name: ctx.name,
          status: final.status,
          input: ctx.input,
          error: final.error,
          cause: final.cause,
          startDate: ctx.startedAt,
          stopDate: new Date(),
          redriveCount: ctx.redriveCount,
        }),
      );
    }
    return {
      executionId: ctx.executionId,
      name: ctx.name,
      status: final.status,
      output: final.output,
      error: final.error,
      cause: final.cause,
      redriveCount: ctx.redriveCount,
    };
  }
}

/**
 * Waits are for the Data API's pace; locally the Checks long-poll the
 * in-process statement instead (describe waits for it to settle, a few
 * seconds at most), so the Wait states take no time.
 */
function waitOverrides(def: AslDefinition): Record<string, number> {
  return Object.fromEntries(
    Object.entries(def.States)
      .filter(([, s]) => s.Type === 'Wait')
      .map(([n]) => [n, 0]),
  );
}

function retryOverrides(def: AslDefinition): Record<string, number> {
  return Object.fromEntries(
    Object.entries(def.States)
      .filter(([, s]) => Array.isArray((s as { Retry?: unknown }).Retry))
      .map(([n]) => [n, 50]),
  );
}
