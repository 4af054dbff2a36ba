import { createHandler as archive } from '../../functions/archive/handler.ts';
import { createHandler as audit } from '../../functions/audit/handler.ts';
import { createHandler as checkLoad } from '../../functions/check-load/handler.ts';
import { createHandler as checkTransform } from '../../functions/check-transform/handler.ts';
import { createHandler as fetchConfig } from '../../functions/fetch-config/handler.ts';
import type { Deps } from '../../functions/lib/compose.ts';
import { createHandler as notify } from '../../functions/notify/handler.ts';
import { createHandler as preprocess } from '../../functions/preprocess/handler.ts';
import { createHandler as rejectFile } from '../../functions/reject-file/handler.ts';
import { createHandler as submitLoad } from '../../functions/submit-load/handler.ts';
import { createHandler as submitTransform } from '../../functions/submit-transform/handler.ts';
import { createHandler as validateFile } from '../../functions/validate-file/handler.ts';

type Handler = (event: unknown) => Promise<unknown>;

/**
 * Task state name → the same handler CDK deploys for it, built from the
 * local deps (as a Lambda's module scope builds it from AWS ones).
 */
export function taskHandlers(deps: Deps): Record<string, Handler> {
  const h = {
    fetchConfig: fetchConfig(deps),
    validateFile: validateFile(deps),
    preprocess: preprocess(deps),
    submitLoad: submitLoad(deps),
    checkLoad: checkLoad(deps),
    submitTransform: submitTransform(deps),
    checkTransform: checkTransform(deps),
    archive: archive(deps),
    rejectFile: rejectFile(deps),
    audit: audit(deps),
    notify: notify(deps),
  };
  return {
    FetchConfig: h.fetchConfig,
    ValidateFile: h.validateFile,
    Preprocess: h.preprocess,
    UseOriginalFile: h.preprocess,
    SubmitLoad: h.submitLoad,
    CheckLoad: h.checkLoad,
    SubmitTransform: h.submitTransform,
    CheckTransform: h.checkTransform,
    Archive: h.archive,
    ArchiveDuplicate: h.archive,
    Audit: h.audit,
    Notify: h.notify,
    RejectFile: h.rejectFile,
    AuditRejection: h.audit,
    NotifyRejection: h.notify,
    AuditSkipped: h.audit,
    NotifySkipped: h.notify,
  };
}
