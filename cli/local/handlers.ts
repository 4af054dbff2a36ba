import { createHandler as archive } from '../../functions/archive/handler.ts';
import { createHandler as audit } from '../../functions/audit/handler.ts';
import { createHandler as checkLoad } from '../../functions/check-load/handler.ts';
import { createHandler as checkTransform } from '../../functions/check-transform/handler.ts';
import { createHandler as fetchConfig } from '../../functions/fetch-config/handler.ts';
import type { Deps } from '../../functions/lib/compose.ts';
import {
  DEFAULT_POLL_POLICY,
  DESCRIBE_WAIT_MS,
  type PollPolicy,
  waitedSeconds,
} from '../../functions/lib/steps/statement-poll.ts';
import { createHandler as notify } from '../../functions/notify/handler.ts';
import { createHandler as preprocess } from '../../functions/preprocess/handler.ts';
import { createHandler as rejectFile } from '../../functions/reject-file/handler.ts';
import { createHandler as reportFailure } from '../../functions/report-failure/handler.ts';
import { createHandler as submitLoad } from '../../functions/submit-load/handler.ts';
import { createHandler as submitTransform } from '../../functions/submit-transform/handler.ts';
import { createHandler as validateFile } from '../../functions/validate-file/handler.ts';
import { type FunctionFolder, folderOfResource } from '../../statemachine/tasks.ts';
import type { AslDefinition } from './definition.ts';

export type Handler = (event: unknown) => Promise<unknown>;

/**
 * Function folder → the handler CDK bundles from functions/<folder>/handler.ts, built
 * from the local deps (as a Lambda's module scope builds it from AWS ones).
 * Which state uses which folder is statemachine/tasks.ts's; the Record type
 * makes a folder added to the table without a handler here a type error.
 */
export function folderHandlers(given: Deps): Record<FunctionFolder, Handler> {
  const deps: Deps = given.settings.polling
    ? given
    : { ...given, settings: { ...given.settings, polling: LOCAL_POLL_POLICY } };
  const handlers: Record<FunctionFolder, Handler> = {
    'fetch-config': fetchConfig(deps),
    'validate-file': validateFile(deps),
    preprocess: preprocess(deps),
    'submit-load': submitLoad(deps),
    'check-load': checkLoad(deps),
    'submit-transform': submitTransform(deps),
    'check-transform': checkTransform(deps),
    archive: archive(deps),
    'reject-file': rejectFile(deps),
    audit: audit(deps),
    notify: notify(deps),
    'report-failure': reportFailure(deps),
  };
  for (const f of Object.keys(handlers) as FunctionFolder[]) handlers[f] = asLambda(handlers[f]);
  return handlers;
}

/**
 * Locally the Wait states take no time (runner.ts waitOverrides) and each Check
 * long-polls the warehouse for DESCRIBE_WAIT_MS instead, so a poll is ~5 s, not
 * the backed-off wait. The ceiling keeps the deployed one's meaning in time
 * (~12 h of waiting), not its count, which would stop a local load after 12.5 min.
 */
export const LOCAL_POLL_POLICY: PollPolicy = {
  ...DEFAULT_POLL_POLICY,
  maxPolls: Math.ceil(waitedSeconds(DEFAULT_POLL_POLICY.maxPolls) / (DESCRIBE_WAIT_MS / 1000)),
};

/** report-failure's handler alone (dead-run recovery in `efi runs` / `efi show`, which run no state). */
export function createReportFailureHandler(deps: Deps): Handler {
  return reportFailure(deps);
}

type AslState = { Type: string; Resource?: string } & Record<string, unknown>;

/** Every state of a definition by name, nested ones too (Map ItemProcessor/Iterator, Parallel Branches). */
function* walkStates(states: Record<string, AslState>): Generator<[string, AslState]> {
  for (const [name, s] of Object.entries(states)) {
    yield [name, s];
    const nested = [
      s['ItemProcessor'],
      s['Iterator'],
      ...(Array.isArray(s['Branches']) ? (s['Branches'] as unknown[]) : []),
    ] as ({ States?: Record<string, AslState> } | undefined)[];
    for (const sub of nested) if (sub?.States) yield* walkStates(sub.States);
  }
}

/**
 * aws-local-stepfunctions binds Task handlers by state name: walk the
 * definition (with its `${Placeholder}` Resources, before substitution) and
 * give each Task state the handler of the folder its placeholder maps to.
 * Throws on a Task whose Resource is not in the table.
 */
export function taskHandlersByState(
  definition: AslDefinition,
  handlers: Record<FunctionFolder, Handler>,
): Record<string, Handler> {
  const byState: Record<string, Handler> = {};
  for (const [name, s] of walkStates(definition.States)) {
    if (s.Type !== 'Task') continue;
    const folder = folderOfResource(s.Resource ?? '');
    if (!folder) throw new Error(`Task ${name}: Resource ${s.Resource} is not in statemachine/tasks.ts`);
    byState[name] = handlers[folder];
  }
  return byState;
}

/**
 * Step Functions records a failed Lambda's Cause from its error message.
 * aws-local-stepfunctions uses an ES `cause` instead when there is one, so a
 * wrapped driver error (EfiTransient around pg's DatabaseError) would show as
 * that object's JSON: drop the `cause` on the way out, as Lambda's runtime does.
 */
function asLambda(h: Handler): Handler {
  return async (event) => {
    try {
      return await h(event);
    } catch (e) {
      if (e instanceof Error && 'cause' in e) delete (e as { cause?: unknown }).cause;
      throw e;
    }
  };
}
