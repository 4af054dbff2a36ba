import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeExecutionCommand, RedriveExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { redriveCommand } from '../../../cli/commands/runs.ts';
import type { CliContext } from '../../../cli/context.ts';
import { remoteError } from '../../../cli/remote/errors.ts';
import { ConfigInvalid } from '../../../functions/lib/errors.ts';
import { loadSettings } from '../../../functions/lib/settings.ts';

/** `efi redrive` against a deployed state machine (issue 8, D11). */

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:efi';
const EXEC = 'arn:aws:states:eu-west-1:123456789012:execution:efi:20261124-100000-abcdef';
const sfn = mockClient(SFNClient);
let home: string;

function context(): CliContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    settings: loadSettings({ EFI_HOME: home }),
    json: false,
    tty: false,
    out: (s) => lines.push(s),
    err: (s) => lines.push(s),
    lines,
  };
}

beforeEach(() => {
  sfn.reset();
  home = path.join(os.tmpdir(), `efi-redrive-${process.pid}-${Date.now()}`);
  vi.stubEnv('EFI_STATE_MACHINE_ARN', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  fs.rmSync(home, { recursive: true, force: true });
});
afterAll(() => sfn.restore());

function failedExecution() {
  sfn.on(DescribeExecutionCommand, { executionArn: EXEC }).resolves({
    executionArn: EXEC,
    name: '20261124-100000-abcdef',
    stateMachineArn: MACHINE,
    status: 'FAILED',
    error: 'LoadFailed',
    redriveStatus: 'REDRIVABLE',
    startDate: new Date('2026-11-24T10:00:00Z'),
  });
  sfn.on(RedriveExecutionCommand, { executionArn: EXEC }).resolves({ redriveDate: new Date('2026-11-24T11:00:00Z') });
}

describe('efi redrive with a state machine ARN', () => {
  it('--state-machine-arn redrives the deployed execution and never opens local history', async () => {
    failedExecution();
    const ctx = context();
    expect(await redriveCommand(['20261124-100000-abcdef', '--state-machine-arn', MACHINE], ctx)).toBe(0);
    expect(sfn.commandCalls(RedriveExecutionCommand)).toHaveLength(1);
    expect(ctx.lines.join('\n')).toContain('redriven at 2026-11-24T11:00:00.000Z');
    expect(fs.existsSync(home)).toBe(false);
  });

  it('EFI_STATE_MACHINE_ARN routes there too, with --region matching the ARN', async () => {
    failedExecution();
    vi.stubEnv('EFI_STATE_MACHINE_ARN', MACHINE);
    const ctx = context();
    expect(await redriveCommand([EXEC, '--region', 'eu-west-1'], ctx)).toBe(0);
    expect(sfn.commandCalls(RedriveExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: EXEC });
    expect(fs.existsSync(home)).toBe(false);
  });

  it('refuses a --region other than the ARN region before calling AWS', async () => {
    await expect(
      redriveCommand(['20261124-100000-abcdef', '--state-machine-arn', MACHINE, '--region', 'us-east-1'], context()),
    ).rejects.toBeInstanceOf(ConfigInvalid);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('a refusal (a running execution) is one line and exit 1, and nothing is redriven', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXEC, name: 'x', status: 'RUNNING' } as never);
    const ctx = context();
    expect(await redriveCommand([EXEC, '--state-machine-arn', MACHINE], ctx)).toBe(1);
    expect(ctx.lines.at(-1)).toMatch(/is RUNNING: wait for it to end/);
    expect(sfn.commandCalls(RedriveExecutionCommand)).toHaveLength(0);
  });
});

describe('remote errors the operator fixes outside efi', () => {
  it.each([
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })],
    [Object.assign(new Error('getaddrinfo ENOTFOUND states.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' })],
    [
      Object.assign(new Error('The security token included in the request is invalid.'), {
        name: 'UnrecognizedClientException',
      }),
    ],
    [Object.assign(new Error('something odd\n    at frame'), { name: 'WeirdError' })],
  ])('%s becomes one line saying what was called', (e) => {
    const err = remoteError(e, 'ListExecutions X');
    expect((err as { oneLine?: boolean }).oneLine).toBe(true);
    expect(err.message).toMatch(/^ListExecutions X/);
    expect(err.message).not.toContain('\n');
  });

  it('a spawned command without credentials prints one line with the cause and a next step, exit 1', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: os.tmpdir(),
      EFI_HOME: home,
      AWS_CONFIG_FILE: path.join(home, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
      NO_COLOR: '1',
    };
    const child = spawn(process.execPath, [path.resolve('bin/efi.js'), 'runs', '--state-machine-arn', MACHINE], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    const ours = stderr.split('\n').filter((l) => l.startsWith('efi '));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^efi runs: ListExecutions .*no usable AWS credentials.*AWS_PROFILE/);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(fs.existsSync(home)).toBe(false);
  });
});
