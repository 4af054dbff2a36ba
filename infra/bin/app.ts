import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { resolveContext } from '../lib/app-context.ts';
import { EfiStack } from '../lib/efi-stack.ts';

// Account-agnostic: the account comes from the deploying credentials; synth needs none.
const app = new App();
const region = process.env['AWS_REGION'] ?? 'us-east-1';
const { stackName, props, samplesUsed } = resolveContext((k) => app.node.tryGetContext(k), region);
const stack = new EfiStack(app, stackName, props);
if (samplesUsed.length > 0) {
  Annotations.of(stack).addWarningV2(
    'efi:sample-context',
    `Sample values used for ${samplesUsed.map((k) => `efi:${k}`).join(', ')}: fine for synth, not for a deploy (see docs/deploy.md).`,
  );
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
