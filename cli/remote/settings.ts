import { SFNClient } from '@aws-sdk/client-sfn';
import { ConfigInvalid } from '../../functions/lib/errors.ts';

/**
 * Where the deployed pipeline is. The CLI talks to it when a state machine
 * ARN is given, from flags or the environment (flags win):
 *
 *   --state-machine-arn ARN   or EFI_STATE_MACHINE_ARN   the deployed state machine (required for remote mode)
 *   --bucket NAME             or EFI_BUCKET              the data bucket (needed by upload)
 *   --region REGION                                      optional; must match the region in the ARN
 *   EFI_LANDING_PREFIX (default landing/)                 where uploads go
 *
 * Credentials come from the usual AWS chain (AWS_PROFILE, SSO, env keys).
 * Reading these from the CloudFormation stack outputs is not supported.
 */
export interface RemoteSettings {
  stateMachineArn: string;
  /** Region, account and name parsed from the ARN. */
  region: string;
  account: string;
  stateMachineName: string;
  partition: string;
  bucket: string | null;
  landingPrefix: string;
}

export interface RemoteFlags {
  'state-machine-arn'?: string | undefined;
  bucket?: string | undefined;
  region?: string | undefined;
}

const STATE_MACHINE_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;

/** Remote settings, or null when no state machine is configured (the CLI then works locally). */
export function resolveRemoteSettings(
  flags: RemoteFlags = {},
  env: Record<string, string | undefined> = process.env,
): RemoteSettings | null {
  const arn = flags['state-machine-arn'] || env['EFI_STATE_MACHINE_ARN'] || null;
  if (!arn) return null;
  const m = STATE_MACHINE_ARN.exec(arn);
  if (!m) {
    const from = flags['state-machine-arn'] ? '--state-machine-arn' : 'EFI_STATE_MACHINE_ARN';
    throw new ConfigInvalid(
      `${from}=${JSON.stringify(arn)} is not a state machine ARN; expected arn:aws:states:REGION:ACCOUNT:stateMachine:NAME ` +
        '(the StateMachineArn output of the deployed stack)',
    );
  }
  const [, partition, arnRegion, account, name] = m as unknown as [string, string, string, string, string];
  // The state machine lives in its ARN's region, whatever AWS_REGION says for other tools.
  const region = arnRegion;
  if (flags.region && flags.region !== arnRegion) {
    throw new ConfigInvalid(
      `--region ${flags.region} does not match the state machine's region ${arnRegion}; drop --region or use the ARN from that region`,
    );
  }
  const bucket = flags.bucket || env['EFI_BUCKET'] || null;
  const landing = env['EFI_LANDING_PREFIX'] ?? 'landing/';
  if (landing.startsWith('/') || landing.includes('..')) {
    throw new ConfigInvalid(`EFI_LANDING_PREFIX=${landing}: a prefix must be relative and must not contain '..'`);
  }
  return {
    stateMachineArn: arn,
    region,
    account,
    stateMachineName: name,
    partition,
    bucket,
    landingPrefix: landing === '' || landing.endsWith('/') ? landing : `${landing}/`,
  };
}

/** `efi show RUN` accepts an execution name or a full execution ARN. */
export function executionArnFor(settings: RemoteSettings, nameOrArn: string): string {
  if (nameOrArn.startsWith('arn:')) {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(nameOrArn)) {
      throw new ConfigInvalid(
        `${nameOrArn} is not an execution ARN (arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME)`,
      );
    }
    return nameOrArn;
  }
  if (!/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/.test(nameOrArn)) {
    throw new ConfigInvalid(`${JSON.stringify(nameOrArn)} is not an execution name; list runs with: efi runs`);
  }
  const { partition, region, account, stateMachineName } = settings;
  return `arn:${partition}:states:${region}:${account}:execution:${stateMachineName}:${nameOrArn}`;
}

let sharedClient: SFNClient | null = null;

/** One Step Functions client per process. */
export function sfnClient(settings: RemoteSettings): SFNClient {
  sharedClient ??= new SFNClient({ region: settings.region });
  return sharedClient;
}
