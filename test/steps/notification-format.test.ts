import { describe, expect, it } from 'vitest';
import {
  formatNotification,
  type NotificationInput,
  SUBJECT_MAX,
} from '../../functions/lib/steps/notification-format.ts';

const base: NotificationInput = {
  runId: 'run-20261124-0001',
  status: 'FINISHED',
  interface: 'sales',
  configId: 'sales.daily',
  bucket: 'efi-data',
  key: 'landing/sales/daily_20261124.csv',
  recordsInFile: 12345,
  rowsLoaded: 12345,
  rowsRejected: 0,
  targets: [
    { target: { schema: 'stage', table: 'sales_daily' }, recordType: null, rowsLoaded: 12345, rowsRejected: 0 },
  ],
  archivedTo: 'archive/sales/2026/11/24/daily_20261124.csv',
  error: null,
  executionId: 'arn:aws:states:eu-west-1:123456789012:execution:efi:run-20261124-0001',
  at: '2026-11-24T10:15:00.000Z',
};

const trailerMismatch: NotificationInput = {
  ...base,
  status: 'FAILED',
  rowsLoaded: 0,
  targets: [],
  archivedTo: 'rejected/sales/2026/11/24/daily_20261124.csv',
  error: {
    name: 'TrailerMismatch',
    message: 'trailer says 12346 records but the file has 12345; check the sender counted data records only',
    line: 12347,
    column: 4,
  },
};

describe('formatNotification', () => {
  it('writes the subject of a rejected file as in the examples', () => {
    expect(formatNotification(trailerMismatch).subject).toBe(
      '[efi] FAILED sales.daily: daily_20261124.csv (TrailerMismatch)',
    );
    expect(formatNotification(base).subject).toBe('[efi] FINISHED sales.daily: daily_20261124.csv');
  });

  it('tells the sender to send a corrected file for rejected content, with where the error is', () => {
    const n = formatNotification(trailerMismatch);
    expect(n.body).toContain('daily_20261124.csv was rejected');
    expect(n.body).toContain(
      'Error:     TrailerMismatch at line 12347, column 4: trailer says 12346 records but the file has 12345',
    );
    expect(n.body).toContain('Now at:    s3://efi-data/rejected/sales/2026/11/24/daily_20261124.csv');
    expect(n.body).toContain('Rows:      12,345 in file, 0 loaded, 0 rejected');
    expect(n.body).toMatch(/Next step: send a corrected file .* to s3:\/\/efi-data\/landing\/sales\//);
    expect(n.body).not.toContain('redrive');
    expect(n.detail).toMatchObject({
      status: 'FAILED',
      nextStep: 'send-corrected-file',
      error: { name: 'TrailerMismatch', line: 12347, column: 4, kind: 'rejected' },
      archivedTo: 's3://efi-data/rejected/sales/2026/11/24/daily_20261124.csv',
    });
  });

  it('shows the one location shape as errors.ts formats it', () => {
    const n = formatNotification({
      ...base,
      status: 'FAILED',
      error: {
        name: 'FieldCountMismatch',
        message: 'found 4 fields, expected 3',
        line: 7,
        column: null,
        location: { line: 7, field: 4 },
      },
    });
    expect(n.body).toContain('Error:     FieldCountMismatch at line 7, field 4: found 4 fields, expected 3');
  });

  it('tells the operator to fix the cause and redrive for an operational failure', () => {
    const n = formatNotification({
      ...base,
      status: 'FAILED',
      rowsLoaded: null,
      rowsRejected: null,
      targets: [],
      archivedTo: null,
      error: { name: 'LoadFailed', message: 'relation "stage"."sales_daily" does not exist' },
    });
    expect(n.subject).toBe('[efi] FAILED sales.daily: daily_20261124.csv (LoadFailed)');
    expect(n.body).toContain('Next step: fix the cause (see Error), then redrive: efi redrive run-20261124-0001');
    expect(n.body).toContain('Error:     LoadFailed: relation "stage"."sales_daily" does not exist');
    expect(n.body).not.toContain('Now at:');
    expect(n.detail).toMatchObject({ nextStep: 'redrive', error: { kind: 'operational', line: null, column: null } });
  });

  it('summarises a finished load with its targets and needs no action', () => {
    const n = formatNotification({
      ...base,
      targets: [
        { target: { schema: 'stage', table: 'orders' }, recordType: 'H', rowsLoaded: 100, rowsRejected: 0 },
        { target: { schema: 'stage', table: 'order_lines' }, recordType: 'D', rowsLoaded: 12245, rowsRejected: 2 },
      ],
    });
    expect(n.body.split('\n')[0]).toBe('daily_20261124.csv was loaded: 12,345 rows.');
    expect(n.body).toContain('Target:    stage.orders (record type H): 100 loaded, 0 rejected');
    expect(n.body).toContain('Target:    stage.order_lines (record type D): 12,245 loaded, 2 rejected');
    expect(n.body).toContain('Now at:    s3://efi-data/archive/sales/2026/11/24/daily_20261124.csv');
    expect(n.body.endsWith('Next step: none.')).toBe(true);
    expect(n.detail).toMatchObject({
      nextStep: 'none',
      error: null,
      file: 's3://efi-data/landing/sales/daily_20261124.csv',
    });
  });

  it('shows counts the warehouse did not report as ?, and null in the event detail, never 0', () => {
    const n = formatNotification({
      ...base,
      rowsLoaded: null,
      rowsRejected: null,
      targets: [
        { target: { schema: 'stage', table: 'sales_daily' }, recordType: null, rowsLoaded: null, rowsRejected: null },
      ],
    });
    expect(n.body.split('\n')[0]).toBe(
      'daily_20261124.csv was loaded; the warehouse did not report how many rows (shown as ?).',
    );
    expect(n.body).toContain('Rows:      12,345 in file, ? loaded, ? rejected');
    expect(n.body).toContain('Target:    stage.sales_daily: ? loaded, ? rejected');
    expect(n.detail).toMatchObject({
      rowsLoaded: null,
      rowsRejected: null,
      targets: [{ schema: 'stage', table: 'sales_daily', rowsLoaded: null, rowsRejected: null }],
    });
  });

  it('explains a skip', () => {
    const n = formatNotification({ ...base, status: 'SKIPPED', skipReason: 'same content as run run-20261123-0042' });
    expect(n.subject).toBe('[efi] SKIPPED sales.daily: daily_20261124.csv');
    expect(n.body).toContain('Reason:    same content as run run-20261123-0042');
    expect(n.body).toContain('reload');
  });

  it('caps the subject under 100 characters, keeping the end of a long file name', () => {
    const n = formatNotification({
      ...trailerMismatch,
      configId: `finance.${'very_long_config_name_'.repeat(6)}`,
      key: `landing/finance/${'extremely_long_file_name_'.repeat(8)}20261124.csv`,
    });
    expect(n.subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(n.subject.startsWith('[efi] FAILED finance.')).toBe(true);
    expect(n.subject.endsWith('20261124.csv (TrailerMismatch)')).toBe(true);
    expect(n.subject).toContain('...');
  });

  it('keeps an over-long error name from pushing the subject past the cap', () => {
    const n = formatNotification({ ...trailerMismatch, error: { name: 'X'.repeat(300), message: 'm' } });
    expect(n.subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(n.subject).toContain('daily_20261124.csv');
  });

  it('makes the subject printable ASCII (SNS refuses anything else) and folds accents', () => {
    const n = formatNotification({
      ...base,
      configId: 'ventes.données',
      key: 'landing/ventes/Données_clients_✓_2026.csv',
    });
    expect(n.subject).toBe('[efi] FINISHED ventes.donnees: Donnees_clients_?_2026.csv');
    // The body keeps the real name.
    expect(n.body).toContain('s3://efi-data/landing/ventes/Données_clients_✓_2026.csv');
  });

  it('caps unicode subjects by characters after folding', () => {
    const n = formatNotification({ ...base, key: `landing/${'日本語ファイル名'.repeat(30)}.csv` });
    expect(n.subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(n.subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('strips control characters and bidi overrides from subject and body', () => {
    const n = formatNotification({
      ...trailerMismatch,
      key: 'landing/sales/evil\r\nBcc: x@example.com\u0007\u202egpj.csv',
      error: {
        name: 'TrailerMismatch',
        message: 'bad\u0000 trailer\u001b[31m\nsecond line\tend',
        line: 3,
        column: null,
      },
    });
    const controls = /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e]/;
    expect(n.subject).not.toMatch(controls);
    expect(n.subject).not.toContain('\n');
    expect(n.subject).toBe('[efi] FAILED sales.daily: evil Bcc: x@example.comgpj.csv (TrailerMismatch)');
    expect(n.body).not.toMatch(controls);
    expect(n.body).toContain('File:      s3://efi-data/landing/sales/evil Bcc: x@example.comgpj.csv');
    // A multi-line error message stays readable: continuation lines are indented under the label.
    expect(n.body).toContain('Error:     TrailerMismatch at line 3: bad trailer[31m\n           second line end');
  });

  it('produces a JSON-serialisable detail carrying run id and status for de-duplication', () => {
    const n = formatNotification(trailerMismatch);
    const detail = JSON.parse(JSON.stringify(n.detail));
    expect(detail).toEqual({
      version: 1,
      runId: 'run-20261124-0001',
      status: 'FAILED',
      interface: 'sales',
      configId: 'sales.daily',
      bucket: 'efi-data',
      key: 'landing/sales/daily_20261124.csv',
      file: 's3://efi-data/landing/sales/daily_20261124.csv',
      recordsInFile: 12345,
      rowsLoaded: 0,
      rowsRejected: 0,
      targets: [],
      archivedTo: 's3://efi-data/rejected/sales/2026/11/24/daily_20261124.csv',
      error: {
        name: 'TrailerMismatch',
        message: 'trailer says 12346 records but the file has 12345; check the sender counted data records only',
        line: 12347,
        column: 4,
        location: null,
        kind: 'rejected',
      },
      skipReason: null,
      nextStep: 'send-corrected-file',
      executionId: 'arn:aws:states:eu-west-1:123456789012:execution:efi:run-20261124-0001',
      loadCommitted: null,
      transformCommitted: null,
      idempotencyKey: null,
      at: '2026-11-24T10:15:00.000Z',
    });
    expect(n).toMatchObject({
      runId: 'run-20261124-0001',
      status: 'FAILED',
      configId: 'sales.daily',
      interface: 'sales',
    });
  });

  it('clips a huge error message so SNS and EventBridge accept it', () => {
    const n = formatNotification({ ...trailerMismatch, error: { name: 'LoadFailed', message: 'x'.repeat(300_000) } });
    expect(Buffer.byteLength(n.body)).toBeLessThan(10_000);
    expect(Buffer.byteLength(JSON.stringify(n.detail))).toBeLessThan(10_000);
  });

  it('names an unmatched file without a config', () => {
    const n = formatNotification({
      ...base,
      status: 'FAILED',
      configId: null,
      interface: null,
      error: { name: 'NoConfigMatch', message: 'no active config matches landing/x.csv' },
      key: 'landing/x.csv',
    });
    expect(n.subject).toBe('[efi] FAILED unmatched: x.csv (NoConfigMatch)');
    expect(n.body).not.toContain('Config:');
  });
});
