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

/** SDK errors with what was being done; throttling stays recognisable as EfiTransient. */
export function remoteError(e: unknown, what: string): Error {
  const code = (e as { name?: string } | null)?.name;
  if (code === 'ExecutionDoesNotExist') {
    return new RemoteRunNotFound(`${what}: no such execution; list runs with: efi runs`);
  }
  if (code === 'StateMachineDoesNotExist') {
    return new Error(
      `${what}: the state machine does not exist; check --state-machine-arn / EFI_STATE_MACHINE_ARN and the AWS account`,
    );
  }
  if (code === 'AccessDeniedException' || code === 'UnrecognizedClientException' || code === 'ExpiredTokenException') {
    const err = new Error(
      `${what}: ${(e as Error).message}; check your AWS credentials (AWS_PROFILE, aws sso login) and that they may call Step Functions`,
      { cause: e },
    );
    err.name = code;
    return err;
  }
  const classified = classifyError(e);
  if (classified instanceof TransientError) {
    return new TransientError(`${what}: ${classified.message}; try again shortly`, {}, { cause: e });
  }
  if (classified instanceof EfiError) return classified;
  const err = new Error(`${what} failed: ${classified.message}`, { cause: e });
  err.name = classified.name;
  return err;
}
