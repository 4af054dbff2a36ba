import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AuthorizationErrorException, PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsNotifier, setAwsNotifierClientFactories } from '../../../functions/lib/adapters/aws/aws-notifier.ts';
import { TransientError } from '../../../functions/lib/errors.ts';
import { formatNotification } from '../../../functions/lib/steps/notification-format.ts';

const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:efi-status';
const BUS = 'efi-bus';

const notification = formatNotification({
  runId: 'run-1',
  status: 'FAILED',
  interface: 'sales',
  configId: 'sales.daily',
  bucket: 'efi-data',
  key: 'landing/sales/daily_20261124.csv',
  recordsInFile: 10,
  rowsLoaded: 0,
  rowsRejected: 0,
  archivedTo: 'rejected/sales/2026/11/24/daily_20261124.csv',
  error: { name: 'TrailerMismatch', message: 'trailer says 11 records, file has 10', line: 12, column: 1 },
  executionId: 'arn:aws:states:eu-west-1:123456789012:execution:efi:run-1',
  at: '2026-11-24T10:00:00.000Z',
});

let builtSns = 0;
let builtEvents = 0;
setAwsNotifierClientFactories({
  sns: () => {
    builtSns++;
    return new SNSClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
  },
  eventBridge: () => {
    builtEvents++;
    return new EventBridgeClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  },
});

beforeEach(() => {
  sns.reset();
  events.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});
afterAll(() => {
  sns.restore();
  events.restore();
});

describe('AwsNotifier', () => {
  it('publishes to SNS with filterable attributes and to EventBridge with the JSON detail', async () => {
    await new AwsNotifier({ topicArn: TOPIC, eventBusName: BUS }).publish(notification);

    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        TopicArn: TOPIC,
        Subject: '[efi] FAILED sales.daily: daily_20261124.csv (TrailerMismatch)',
        Message: notification.body,
        MessageAttributes: {
          status: { DataType: 'String', StringValue: 'FAILED' },
          interface: { DataType: 'String', StringValue: 'sales' },
          configId: { DataType: 'String', StringValue: 'sales.daily' },
          runId: { DataType: 'String', StringValue: 'run-1' },
        },
      },
    ]);
    const [put] = events.commandCalls(PutEventsCommand).map((c) => c.args[0].input);
    expect(put!.Entries).toHaveLength(1);
    const entry = put!.Entries![0]!;
    expect({ ...entry, Detail: undefined }).toEqual({
      Source: 'efi',
      DetailType: 'efi.file.status',
      EventBusName: BUS,
      Detail: undefined,
    });
    expect(JSON.parse(entry.Detail!)).toMatchObject({
      runId: 'run-1',
      status: 'FAILED',
      configId: 'sales.daily',
      error: { name: 'TrailerMismatch', line: 12, column: 1 },
    });
  });

  it('builds each client once per process', async () => {
    const notifier = new AwsNotifier({ topicArn: TOPIC, eventBusName: BUS });
    await notifier.publish(notification);
    await new AwsNotifier({ topicArn: TOPIC, eventBusName: BUS }).publish(notification);
    expect(builtSns).toBe(1);
    expect(builtEvents).toBe(1);
  });

  it('leaves out attributes it has no value for (SNS rejects empty ones)', async () => {
    await new AwsNotifier({ topicArn: TOPIC, eventBusName: null }).publish({
      ...notification,
      interface: null,
      configId: null,
    });
    expect(Object.keys(sns.commandCalls(PublishCommand)[0]!.args[0].input.MessageAttributes!)).toEqual([
      'status',
      'runId',
    ]);
  });

  it('skips SNS when no topic and EventBridge when no bus', async () => {
    await new AwsNotifier({ topicArn: null, eventBusName: BUS }).publish(notification);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(1);

    await new AwsNotifier({ topicArn: TOPIC, eventBusName: null }).publish(notification);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(1);

    await new AwsNotifier({ topicArn: null, eventBusName: null }).publish(notification);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('fails when PutEvents drops the entry, naming the code, and still publishes to SNS', async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' }],
    });
    const err = await new AwsNotifier({ topicArn: TOPIC, eventBusName: BUS })
      .publish(notification)
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(TransientError);
    expect((err as Error).name).toBe('NotAuthorizedForSourceException');
    expect((err as Error).message).toContain('EventBridge PutEvents of run run-1 (FAILED) to bus efi-bus');
    expect((err as Error).message).toContain('Not authorized for the source.');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('reports a throttled entry as EfiTransient', async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });
    const err = await new AwsNotifier({ topicArn: null, eventBusName: BUS })
      .publish(notification)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).name).toBe('EfiTransient');
  });

  it('reports SNS throttling as EfiTransient and other SNS errors by name', async () => {
    sns
      .on(PublishCommand)
      .rejects(new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const throttled = await new AwsNotifier({ topicArn: TOPIC, eventBusName: null })
      .publish(notification)
      .catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TransientError);
    expect((throttled as Error).message).toContain(`SNS Publish of run run-1 (FAILED) to ${TOPIC}`);

    sns
      .on(PublishCommand)
      .rejects(new AuthorizationErrorException({ message: 'not authorized', $metadata: { httpStatusCode: 403 } }));
    const denied = await new AwsNotifier({ topicArn: TOPIC, eventBusName: null })
      .publish(notification)
      .catch((e: unknown) => e);
    expect(denied).not.toBeInstanceOf(TransientError);
    expect((denied as Error).name).toBe('AuthorizationErrorException');
  });
});
