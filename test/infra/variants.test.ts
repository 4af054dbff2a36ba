import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveContext } from '../../infra/lib/app-context.ts';
import { FunctionRole, statement } from '../../infra/lib/function-role.ts';
import { normalisePrefixes } from '../../infra/lib/props.ts';
import { logicalIdOf, type Synthesized, statementsOfRole, synthWithContext, withScratchApp } from './synth-helpers.ts';

const WORKGROUP_ARN =
  'arn:aws:redshift-serverless:us-east-1:123456789012:workgroup/0f1e2d3c-aaaa-bbbb-cccc-111122223333';

function roleOf(s: Synthesized, id: string): string {
  const fn = s.json.Resources[logicalIdOf(s, s.stack.efi.functions[id]!)]!;
  return (fn.Properties['Role'] as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
}

describe('Serverless workgroup, existing bucket, managed COPY role policy, own event bus', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthWithContext({
      'efi:redshiftWorkgroup': 'efi-wg',
      'efi:redshiftDatabase': 'analytics',
      'efi:bucketName': 'acme-landing',
      'efi:manageCopyRolePolicy': 'true',
      'efi:eventBusName': 'efi-status',
      'efi:createEventBus': 'true',
      'efi:landingPrefix': 'in',
    });
  });
  afterAll(() => s?.cleanup());

  it('uses the existing bucket by name and creates no bucket', () => {
    s.template.resourceCountIs('AWS::S3::Bucket', 0);
    const st = statementsOfRole(s, roleOf(s, 'FetchConfig')).find((x) => x.sid === 'ReadObjects')!;
    expect(st.resources).toEqual(['arn:<AWS::Partition>:s3:::acme-landing/in/*']);
  });

  it('grants the Data API on the workgroup pattern and serverless credentials, no cluster credentials', () => {
    const st = statementsOfRole(s, roleOf(s, 'SubmitLoad'));
    const sids = st.map((x) => x.sid);
    expect(sids).toContain('ServerlessCredentials');
    expect(sids).not.toContain('ClusterCredentials');
    expect(sids).not.toContain('RedshiftSecret');
    const pattern = 'arn:<AWS::Partition>:redshift-serverless:us-east-1:<AWS::AccountId>:workgroup/*';
    expect(st.find((x) => x.sid === 'SubmitStatements')!.resources).toEqual([pattern]);
    expect(st.find((x) => x.sid === 'ServerlessCredentials')).toMatchObject({
      actions: ['redshift-serverless:GetCredentials'],
      resources: [pattern],
    });
    const env = (
      s.json.Resources[logicalIdOf(s, s.stack.efi.functions['SubmitLoad']!)]!.Properties['Environment'] as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(env['EFI_REDSHIFT_WORKGROUP']).toBe('efi-wg');
    expect(env['EFI_REDSHIFT_CLUSTER_ID']).toBeUndefined();
  });

  it('attaches read on landing and processing to the imported COPY role, list conditioned on those prefixes', () => {
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['efi-sample-redshift-copy'],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Sid: 'CopyReadsFiles', Action: 's3:GetObject' }),
          Match.objectLike({
            Sid: 'CopyListsPrefixes',
            Action: 's3:ListBucket',
            Condition: { StringLike: { 's3:prefix': ['in/*', 'processing/*'] } },
          }),
        ],
      },
    });
  });

  it('creates the named bus and grants PutEvents on it only', () => {
    s.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'efi-status' });
    const put = statementsOfRole(s, roleOf(s, 'Notify')).find((x) => x.sid === 'PutStatusEvents')!;
    expect(put.resources).toEqual([`<${logicalIdOf(s, s.stack.efi.eventBus)}.Arn>`]);
  });

  it('stays cdk-nag clean (the workgroup wildcard is acknowledged with its reason)', () => {
    expect(s.validationReport.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });
});

describe('cluster with a Redshift secret and a given workgroup ARN', () => {
  it('grants the secret instead of cluster credentials', () => {
    const s = synthWithContext({
      'efi:redshiftSecretArn': 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rs-AbC123',
    });
    try {
      const st = statementsOfRole(s, roleOf(s, 'CheckTransform'));
      expect(st.find((x) => x.sid === 'RedshiftSecret')).toEqual({
        sid: 'RedshiftSecret',
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:rs-AbC123'],
      });
      expect(st.map((x) => x.sid)).not.toContain('ClusterCredentials');
    } finally {
      s.cleanup();
    }
  });

  it('scopes a Serverless grant to one workgroup when its ARN is given', () => {
    const s = synthWithContext({
      'efi:redshiftWorkgroup': 'efi-wg',
      'efi:redshiftWorkgroupArn': WORKGROUP_ARN,
    });
    try {
      const st = statementsOfRole(s, roleOf(s, 'SubmitLoad'));
      expect(st.find((x) => x.sid === 'SubmitStatements')!.resources).toEqual([WORKGROUP_ARN]);
      expect(st.find((x) => x.sid === 'ServerlessCredentials')!.resources).toEqual([WORKGROUP_ARN]);
    } finally {
      s.cleanup();
    }
  });
});

describe('wildcard acknowledgements are per statement, not blanket', () => {
  function nagViolations(withReason: boolean): string[] {
    return withScratchApp((app) => {
      const stack = new Stack(app, 'T');
      const role = new FunctionRole(stack, 'R');
      role.allow(statement('Narrow', ['s3:GetObject'], ['arn:aws:s3:::b/k']));
      role.allow(
        statement('Wide', ['s3:GetObject'], ['arn:aws:s3:::b/landing/*']),
        withReason ? 'prefix scope' : undefined,
      );
      return new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName);
    });
  }

  it('an unexplained wildcard is reported; the same one with a reason is not', () => {
    expect(nagViolations(false)).toEqual(['AwsSolutions-IAM5[Resource::arn:aws:s3:::b/landing/*]']);
    expect(nagViolations(true)).toEqual([]);
  });

  it('the app registers cdk-nag so synth fails on a finding', () => {
    withScratchApp((app) => {
      const stack = new Stack(app, 'T');
      new FunctionRole(stack, 'R').allow(statement('Wide', ['s3:*'], ['*']));
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
    });
  });
});

describe('context', () => {
  const get = (ctx: Record<string, unknown>) => (k: string) => ctx[k];

  it('falls back to samples and says which', () => {
    const r = resolveContext(get({}), 'eu-west-1');
    expect(r.stackName).toBe('Efi');
    expect(r.props.env).toEqual({ region: 'eu-west-1' });
    expect(r.samplesUsed).toContain('configDbSecretArn');
    expect(r.props.efi.redshift).toEqual({
      clusterIdentifier: 'efi-sample-cluster',
      database: 'dev',
      dbUser: 'efi_loader',
    });
  });

  it('reads a JSON file named by efi:config, -c keys win over it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'efi-ctx-'));
    try {
      const file = path.join(dir, 'prod.json');
      writeFileSync(
        file,
        JSON.stringify({
          redshiftWorkgroup: 'wg',
          redshiftDatabase: 'db',
          subnetIds: ['subnet-a', 'subnet-b'],
          timeZone: 'Europe/Paris',
        }),
      );
      const r = resolveContext(
        get({ 'efi:config': file, 'efi:timeZone': 'UTC', 'efi:logRetentionDays': '30' }),
        'us-east-1',
      );
      expect(r.props.efi.redshift).toEqual({ workgroupName: 'wg', database: 'db' });
      expect(r.props.network.subnetIds).toEqual(['subnet-a', 'subnet-b']);
      expect(r.props.efi.timeZone).toBe('UTC');
      expect(r.props.efi.logRetention).toBe(30);
      writeFileSync(file, JSON.stringify({ redshiftWorkgrup: 'typo' }));
      expect(() => resolveContext(get({ 'efi:config': file }), 'us-east-1')).toThrow(/unknown key "redshiftWorkgrup"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses contradictory or malformed values with the key to fix', () => {
    expect(() =>
      resolveContext(get({ 'efi:redshiftClusterId': 'c', 'efi:redshiftWorkgroup': 'w' }), 'us-east-1'),
    ).toThrow(/one of efi:redshiftClusterId .* or efi:redshiftWorkgroup/);
    expect(() => resolveContext(get({ 'efi:createEventBus': 'yes' }), 'us-east-1')).toThrow(
      /efi:createEventBus must be true or false/,
    );
    expect(() => resolveContext(get({ 'efi:logRetentionDays': '31' }), 'us-east-1')).toThrow(
      /not a CloudWatch retention/,
    );
  });

  it('rejects a prefix nested in another, and malformed ARNs at synth', () => {
    expect(() => normalisePrefixes({ archive: 'landing/archive/' })).toThrow(/inside prefixes.landing/);
    expect(normalisePrefixes({ landing: 'in' }).landing).toBe('in/');
    expect(() => synthWithContext({ 'efi:copyRoleArn': 'efi-copy-role' })).toThrow(/copyRoleArn must be an iam ARN/);
    expect(() => synthWithContext({ 'efi:copyRoleArn': 'arn:aws:iam::123456789012:role/efi,copy' })).toThrow(
      /copyRoleArn must be one IAM role ARN whose name has no comma/,
    );
  });
});
