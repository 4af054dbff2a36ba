import { classifyError, EfiError, TransientError } from '../../functions/lib/errors.ts';

/** The CLI refuses to redrive; the message says why and what to do instead. */
export class RemoteRedriveRefused extends Error {
  // Same name as the local runner's refusal, so the command treats both alike.
  override readonly name = 'RedriveRefused';
}

/** No execution with that name or ARN under the state machine. */
export class RemoteRunNotFound extends Error {
  override readonly name = 'RunNotFound';
}

/**
 * A call to AWS failed for a reason the operator fixes outside efi (credentials,
 * network, permissions). The CLI prints its message as one line, never a stack:
 * the message already says what was called, why it failed and what to do.
 */
export class RemoteCallFailed extends Error {
  /** Read by cli/main.ts, which does not import this module (it loads only with remote commands). */
  readonly oneLine = true;
  constructor(message: string, name: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

// The SDK's "no credentials" errors: the default chain found nothing, or a profile/SSO token is unusable.
const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'TokenProviderError', 'InvalidIdentityToken']);
// Network errors no retry fixes: a wrong region or endpoint, no route, a proxy that refuses.
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'TimeoutError']);

/** SDK errors with what was being done; throttling stays recognisable as EfiTransient. */
export function remoteError(e: unknown, what: string): Error {
  const code = (e as { name?: string } | null)?.name;
  const errno = (e as { code?: string } | null)?.code;
  if (code && NO_CREDENTIALS.has(code)) {
    return new RemoteCallFailed(
      `${what}: no usable AWS credentials (${firstLine(e)}); set AWS_PROFILE (and run aws sso login) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then try again`,
      code,
      { cause: e },
    );
  }
  if ((errno && UNREACHABLE.has(errno)) || (code && UNREACHABLE.has(code))) {
    return new RemoteCallFailed(
      `${what}: cannot reach Step Functions (${errno ?? code}: ${firstLine(e)}); check the network, proxy settings and the region in the state machine ARN`,
      errno ?? code ?? 'NetworkError',
      { cause: e },
    );
  }
  if (code === 'ExecutionDoesNotExist') {
    return new RemoteRunNotFound(`${what}: no such execution; list runs with: efi runs`);
  }
  if (code === 'StateMachineDoesNotExist') {
    return new Error(
      `${what}: the state machine does not exist; check --state-machine-arn / EFI_STATE_MACHINE_ARN and the AWS account`,
    );
  }
  if (
    code === 'AccessDeniedException' ||
    code === 'UnrecognizedClientException' ||
    code === 'ExpiredTokenException' ||
    code === 'InvalidSignatureException'
  ) {
    return new RemoteCallFailed(
      `${what}: ${firstLine(e)}; check your AWS credentials (AWS_PROFILE, aws sso login) and that they may call Step Functions`,
      code,
      { cause: e },
    );
  }
  const classified = classifyError(e);
  if (classified instanceof TransientError) {
    return new TransientError(`${what}: ${classified.message}; try again shortly`, {}, { cause: e });
  }
  if (classified instanceof EfiError) return classified;
  return new RemoteCallFailed(`${what} failed: ${classified.name}: ${firstLine(classified)}`, classified.name, {
    cause: e,
  });
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split('\n')[0] ?? '').trim() || 'no message';
}
