import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './nag-acknowledgements.ts';
import type { EfiPrefixes, LandingBucketProps } from './props.ts';

export interface LandingBucketConstructProps extends LandingBucketProps {
  prefixes: EfiPrefixes;
  removalPolicy: RemovalPolicy;
}

/**
 * The landing bucket: a new secure one (S3-managed encryption so the COPY role
 * needs no key grant, TLS only, no public access, access logs, processing/
 * parts expiring), or an existing one by name that its owner configures.
 */
export class LandingBucket extends Construct {
  readonly bucket: IBucket;
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: LandingBucketConstructProps) {
    super(scope, id);
    if (props.existingBucketName) {
      this.bucket = Bucket.fromBucketName(this, 'Bucket', props.existingBucketName);
      this.created = false;
      return;
    }
    // Log delivery granted by bucket policy, not the deprecated LogDeliveryWrite ACL,
    // whatever the app's feature flags say (set here, before any child exists).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const logs = new Bucket(this, 'AccessLogs', {
      // Server access log delivery supports SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: props.removalPolicy,
    });
    acknowledge(
      logs,
      'This is the access-log bucket of the landing bucket; logging it to itself would loop and another bucket would only move the finding.',
      'AwsSolutions-S1',
    );

    const bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioned ?? false,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'landing-bucket/',
      lifecycleRules: [
        {
          id: 'expire-processing-parts',
          prefix: props.prefixes.processing,
          expiration: Duration.days(props.processingExpirationDays ?? 7),
        },
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: props.removalPolicy,
    });
    // The CloudFormation property, not the L2 `eventBridgeEnabled` flag: that one
    // deploys a notifications custom-resource Lambda for a setting CloudFormation has natively.
    (bucket.node.defaultChild as CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    this.bucket = bucket;
    this.created = true;
  }
}
