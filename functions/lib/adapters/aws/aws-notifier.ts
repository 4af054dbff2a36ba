import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { type MessageAttributeValue, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { classifyError, EfiError, TransientError } from '../../errors.ts';
import type { Notifier, StatusNotification } from '../../ports/notifier.ts';

export const EVENT_SOURCE = 'efi';
export const EVENT_DETAIL_TYPE = 'efi.file.status';

export interface AwsNotifierOptions {
  /** SNS topic for people (email, chat); null = no SNS message. */
  topicArn: string | null;
  /** EventBridge bus for machines; null = no event. */
  eventBusName: string | null;
  /** Clients to use instead of the process-wide ones. */
  sns?: SNSClient;
  eventBridge?: EventBridgeClient;
}

// One client per process: a Lambda reuses it (and its connections) across invocations.
let snsFactory: () => SNSClient = () => new SNSClient({});
let eventBridgeFactory: () => EventBridgeClient = () => new EventBridgeClient({});
let sharedSns: SNSClient | null = null;
let sharedEventBridge: EventBridgeClient | null = null;

/** Replaces how the process-wide clients are built (tests, custom endpoints); drops the ones already built. */
export function setAwsNotifierClientFactories(f: {
  sns?: () => SNSClient;
  eventBridge?: () => EventBridgeClient;
}): void {
  if (f.sns) snsFactory = f.sns;
  if (f.eventBridge) eventBridgeFactory = f.eventBridge;
  sharedSns = null;
  sharedEventBridge = null;
}

function processSns(): SNSClient {
  sharedSns ??= snsFactory();
  return sharedSns;
}

function processEventBridge(): EventBridgeClient {
  sharedEventBridge ??= eventBridgeFactory();
  return sharedEventBridge;
}

/**
 * Publishes a run's final status to SNS (readable subject and body, String
 * attributes that subscription filter policies can match) and to EventBridge
 * (the JSON detail). Both are attempted even if one fails, so a retry repeats
 * at most the one that failed plus the other; receivers dedupe on run id and status.
 */
export class AwsNotifier implements Notifier {
  constructor(private readonly opts: AwsNotifierOptions) {}

  async publish(n: StatusNotification): Promise<void> {
    const sends: Promise<void>[] = [];
    if (this.opts.topicArn) sends.push(this.publishSns(this.opts.topicArn, n));
    if (this.opts.eventBusName) sends.push(this.putEvent(this.opts.eventBusName, n));
    const results = await Promise.allSettled(sends);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async publishSns(topicArn: string, n: StatusNotification): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {};
    const attr = (name: string, value: string | null): void => {
      // SNS rejects empty attribute values; a missing one simply does not match a filter.
      if (value) attributes[name] = { DataType: 'String', StringValue: value };
    };
    attr('status', n.status);
    attr('interface', n.interface);
    attr('configId', n.configId);
    attr('runId', n.runId);
    attr('idempotencyKey', n.idempotencyKey ?? null);
    // A FIFO topic drops a second message with the same deduplication id (5 minutes); a standard topic has
    // no such id, so receivers dedupe on the attribute.
    const fifo =
      topicArn.endsWith('.fifo') && n.idempotencyKey
        ? { MessageDeduplicationId: n.idempotencyKey, MessageGroupId: n.runId }
        : {};
    try {
      await (this.opts.sns ?? processSns()).send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: n.subject,
          Message: n.body,
          MessageAttributes: attributes,
          ...fifo,
        }),
      );
    } catch (e) {
      throw contextual(e, `SNS Publish of run ${n.runId} (${n.status}) to ${topicArn}`);
    }
  }

  private async putEvent(eventBusName: string, n: StatusNotification): Promise<void> {
    const entry: PutEventsRequestEntry = {
      Source: EVENT_SOURCE,
      DetailType: EVENT_DETAIL_TYPE,
      Detail: JSON.stringify(n.detail),
      EventBusName: eventBusName,
    };
    const what = `EventBridge PutEvents of run ${n.runId} (${n.status}) to bus ${eventBusName}`;
    let failedCount: number;
    let code: string | undefined;
    let message: string | undefined;
    try {
      const r = await (this.opts.eventBridge ?? processEventBridge()).send(new PutEventsCommand({ Entries: [entry] }));
      failedCount = r.FailedEntryCount ?? 0;
      code = r.Entries?.[0]?.ErrorCode;
      message = r.Entries?.[0]?.ErrorMessage;
    } catch (e) {
      throw contextual(e, what);
    }
    // PutEvents answers 200 even when it drops an entry: the failure is only in the body.
    if (failedCount > 0) {
      const reason = `${code ?? 'UnknownError'}: ${message ?? 'no message'}`;
      if (code === 'InternalFailure' || code === 'ThrottlingException') {
        throw new TransientError(`${what}: the event was not accepted (${reason}); retry later`);
      }
      const err = new Error(
        `${what}: the event was not accepted (${reason}); check the bus exists and the role may events:PutEvents on it`,
      );
      err.name = code ?? 'PutEventsFailed';
      throw err;
    }
  }
}

/** SNS and EventBridge names for "try again" that classifyError's shared list does not carry. */
const SERVICE_TRANSIENT = new Set([
  'ThrottledException',
  'KMSThrottlingException',
  'InternalErrorException',
  'InternalException',
]);

function contextual(e: unknown, what: string): Error {
  const classified = classifyError(e);
  if (classified instanceof TransientError || SERVICE_TRANSIENT.has(classified.name)) {
    return new TransientError(`${what}: ${classified.message}; retry later`, {}, { cause: e });
  }
  if (classified instanceof EfiError) return classified;
  const err = new Error(`${what} failed: ${classified.message}`, { cause: e });
  err.name = classified.name;
  return err;
}
