import { handler as archive } from '../../functions/archive/handler.ts';
import { handler as audit } from '../../functions/audit/handler.ts';
import { handler as checkLoad } from '../../functions/check-load/handler.ts';
import { handler as checkTransform } from '../../functions/check-transform/handler.ts';
import { handler as fetchConfig } from '../../functions/fetch-config/handler.ts';
import { handler as notify } from '../../functions/notify/handler.ts';
import { handler as preprocess } from '../../functions/preprocess/handler.ts';
import { handler as reject } from '../../functions/reject/handler.ts';
import { handler as submitLoad } from '../../functions/submit-load/handler.ts';
import { handler as submitTransform } from '../../functions/submit-transform/handler.ts';
import { handler as validateFile } from '../../functions/validate-file/handler.ts';

type Handler = (event: unknown) => Promise<unknown>;

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

/** Task state name → the same Lambda handler module CDK deploys for it. */
export const TASK_HANDLERS: Record<string, Handler> = {
  FetchConfig: fetchConfig,
  ValidateFile: validateFile,
  Preprocess: preprocess,
  SubmitLoad: submitLoad,
  CheckLoad: checkLoad,
  SubmitTransform: submitTransform,
  CheckTransform: checkTransform,
  Archive: archive,
  ArchiveDuplicate: archive,
  Audit: audit,
  Notify: notify,
  RejectFile: reject,
  AuditRejection: audit,
  NotifyRejection: notify,
  AuditSkipped: audit,
  NotifySkipped: notify,
};
for (const [state, h] of Object.entries(TASK_HANDLERS)) TASK_HANDLERS[state] = asLambda(h);
