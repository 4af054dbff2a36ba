import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { resolveContext } from '../../infra/lib/app-context.ts';
import { EfiStack } from '../../infra/lib/efi-stack.ts';

export interface Synthesized {
  stack: EfiStack;
  template: Template;
  json: { Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }> };
  outdir: string;
  validationReport: { pluginReports: { pluginName: string; violations: { ruleName: string }[] }[] };
  cleanup: () => void;
}

/**
 * Synthesizes the app the way infra/bin/app.ts does (context → EfiStack, cdk-nag
 * plugin on the app), without bundling, into a temp dir.
 */
export function synthWithContext(context: Record<string, unknown>): Synthesized {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'efi-cdk-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
  let stack: EfiStack;
  let assembly: ReturnType<App['synth']>;
  try {
    const { stackName, props } = resolveContext((k) => app.node.tryGetContext(k), 'us-east-1');
    stack = new EfiStack(app, stackName, props);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    assembly = app.synth();
  } catch (e) {
    rmSync(outdir, { recursive: true, force: true });
    throw e;
  }
  const template = Template.fromStack(stack);
  const validationReport = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
  return {
    stack,
    template,
    json: template.toJSON() as Synthesized['json'],
    outdir,
    validationReport,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/**
 * Runs `fn` with an App whose cloud assembly goes to a temp dir removed
 * afterwards (an App without `outdir` leaves a /tmp/cdk.out* dir per test run).
 */
export function withScratchApp<T>(fn: (app: App) => T): T {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'efi-cdk-'));
  try {
    return fn(new App({ outdir }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface FlatStatement {
  sid: string | undefined;
  actions: string[];
  resources: string[];
  condition?: unknown;
}

const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The statements of every IAM policy attached to the role with this logical id, references flattened. */
export function statementsOfRole(s: Synthesized, roleLogicalId: string): FlatStatement[] {
  const out: FlatStatement[] = [];
  for (const r of Object.values(s.json.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = arr(r.Properties['Roles'] as unknown[]).map((x) => JSON.stringify(x));
    if (!roles.includes(JSON.stringify({ Ref: roleLogicalId }))) continue;
    const doc = r.Properties['PolicyDocument'] as { Statement: Record<string, unknown>[] };
    for (const st of doc.Statement) {
      out.push({
        sid: st['Sid'] as string | undefined,
        actions: arr(st['Action'] as string | string[])
          .slice()
          .sort(),
        resources: arr(st['Resource'] as unknown)
          .map(flattenCfnReference)
          .sort(),
        ...(st['Condition'] ? { condition: st['Condition'] } : {}),
      });
    }
  }
  return out.sort((a, b) => String(a.sid).localeCompare(String(b.sid)));
}

export function logicalIdOf(s: Synthesized, construct: { node: { defaultChild?: unknown } } | unknown): string {
  const child = (construct as { node: { defaultChild?: unknown } }).node.defaultChild ?? construct;
  return s.stack.getLogicalId(child as Parameters<typeof s.stack.getLogicalId>[0]);
}
