import { Role as IamRole, Policy, PolicyStatement, type Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from './nag-acknowledgements.ts';

/**
 * An execution role whose every statement is written here. The function is
 * given an immutable view of it, so nothing (VPC attachment, tracing, grants)
 * can quietly add a managed policy or a broad statement behind our back.
 */
export class FunctionRole extends Construct {
  readonly role: Role;
  readonly policy: Policy;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new IamRole(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.policy = new Policy(this, 'Policy', { roles: [this.role] });
  }

  /**
   * Adds a statement. A statement with a wildcard action or resource must
   * say why it cannot be narrower; the reason becomes its cdk-nag acknowledgement.
   */
  allow(statement: PolicyStatement, wildcardReason?: string): this {
    this.policy.addStatements(statement);
    if (wildcardReason) acknowledgeWildcards(this.policy, statement, wildcardReason);
    return this;
  }

  /** The role as the function should see it: it cannot add to the policy itself. */
  get immutable() {
    return this.role.withoutPolicyUpdates();
  }
}

export function statement(sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) {
  return new PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) });
}
