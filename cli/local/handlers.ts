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
