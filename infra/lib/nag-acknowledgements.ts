import { Stack, Validations } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
// cdk-nag's own flattener, so the ids acknowledged here are exactly the ids it reports.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * The AwsSolutions-IAM5 finding ids a statement raises: one per wildcard action
 * and one per resource whose flattened form contains '*'.
 */
export function wildcardFindings(scope: IConstruct, statement: PolicyStatement): string[] {
  const json = Stack.of(scope).resolve(statement.toStatementJson()) as { Action?: unknown; Resource?: unknown };
  const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const ids = new Set<string>();
  for (const a of list(json.Action)) {
    if (typeof a === 'string' && a.includes('*')) ids.add(`AwsSolutions-IAM5[Action::${a}]`);
  }
  for (const r of list(json.Resource)) {
    const flat = flattenCfnReference(r);
    if (flat.includes('*')) ids.add(`AwsSolutions-IAM5[Resource::${flat}]`);
  }
  return [...ids];
}

/** Acknowledge each wildcard finding of one statement on one construct, with the statement's own reason. */
export function acknowledgeWildcards(scope: IConstruct, statement: PolicyStatement, reason: string): void {
  for (const id of wildcardFindings(scope, statement)) Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledge specific rule ids on one construct. */
export function acknowledge(scope: IConstruct, reason: string, ...ids: string[]): void {
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}
