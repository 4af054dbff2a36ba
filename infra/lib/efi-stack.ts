import { CfnOutput, Fn, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { ExternalFileIngestion } from './external-file-ingestion.ts';
import type { ExternalFileIngestionProps } from './props.ts';

/** Network given by ids, so synth needs no VPC lookup (and no AWS account). */
export interface EfiNetwork {
  vpcId: string;
  availabilityZones: string[];
  /** Private subnets with a route to the config DB and to AWS endpoints (VPC endpoints or NAT). */
  subnetIds: string[];
  /** Default: one new egress-only group. */
  securityGroupIds?: string[];
}

export interface EfiStackProps extends StackProps {
  efi: Omit<ExternalFileIngestionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'>;
  network: EfiNetwork;
}

export class EfiStack extends Stack {
  readonly efi: ExternalFileIngestion;

  constructor(scope: Construct, id: string, props: EfiStackProps) {
    super(scope, id, props);
    const { network } = props;
    if (network.subnetIds.length === 0) throw new Error('network.subnetIds: give at least one private subnet id');
    const vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: network.vpcId,
      availabilityZones: network.availabilityZones,
      privateSubnetIds: network.subnetIds,
    });
    // Only the subnet ids reach the template (Lambda VpcConfig); route tables are never read.
    Validations.of(vpc).acknowledge({
      id: '@aws-cdk/aws-ec2:noSubnetRouteTableId',
      reason: 'Subnets are given by id for Lambda VpcConfig only; their route tables are not used.',
    });
    const securityGroups = network.securityGroupIds?.map((sgId, i) =>
      // Imported groups are left as their owner configured them.
      SecurityGroup.fromSecurityGroupId(this, `FunctionsSecurityGroup${i}`, sgId, { mutable: false }),
    );
    this.efi = new ExternalFileIngestion(this, 'Efi', {
      ...props.efi,
      vpc,
      vpcSubnets: { subnets: vpc.privateSubnets },
      ...(securityGroups?.length ? { securityGroups } : {}),
    });

    // Names the CLI (`efi runs|show|redrive` with AWS settings) and docs/deploy.md read.
    new CfnOutput(this, 'StateMachineArn', { value: this.efi.stateMachine.stateMachineArn });
    new CfnOutput(this, 'BucketName', { value: this.efi.bucket.bucketName });
    new CfnOutput(this, 'TopicArn', { value: this.efi.topic.topicArn });
    new CfnOutput(this, 'EventBusName', { value: this.efi.eventBus.eventBusName });
    // The config database's security group must admit these on its port.
    new CfnOutput(this, 'FunctionsSecurityGroupIds', {
      value: Fn.join(
        ',',
        this.efi.securityGroups.map((g) => g.securityGroupId),
      ),
    });
  }
}
