import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../functions/lib/settings.ts';

describe('loadSettings', () => {
  it('defaults to the embedded local setup under EFI_HOME', () => {
    const s = loadSettings({ EFI_HOME: '/tmp/x' });
    expect(s.objectStore).toEqual({ kind: 'fs', root: path.join('/tmp/x', 's3') });
    expect(s.warehouse).toEqual({ kind: 'pglite', dataDir: path.join('/tmp/x', 'pglite') });
    expect(s.configDb).toEqual(s.warehouse);
    expect(s.prefixes).toEqual({
      landing: 'landing/',
      processing: 'processing/',
      archive: 'archive/',
      rejected: 'rejected/',
    });
  });

  it('switches to PostgreSQL with URLs', () => {
    const s = loadSettings({ EFI_WAREHOUSE: 'postgres://u@h/db', EFI_CONFIG_DB: 'postgresql://u@h/cfg' });
    expect(s.warehouse).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
    expect(s.configDb).toEqual({ kind: 'postgres', url: 'postgresql://u@h/cfg' });
  });

  it('explains what is wrong, without echoing a password', () => {
    expect(() => loadSettings({ EFI_WAREHOUSE: 'mysql://u:secret@h/db' })).toThrow(
      /EFI_WAREHOUSE must be a postgres:\/\/ URL/,
    );
    try {
      loadSettings({ EFI_WAREHOUSE: 'mysql://u:secret@h/db' });
    } catch (e) {
      expect((e as Error).message).not.toContain('secret');
    }
    expect(() =>
      loadSettings({ EFI_WAREHOUSE: 'redshift', EFI_REDSHIFT_DATABASE: 'dev', EFI_COPY_ROLE_ARN: 'arn' }),
    ).toThrow(/exactly one of EFI_REDSHIFT_CLUSTER_ID/);
    expect(() => loadSettings({ EFI_ARCHIVE_PREFIX: '../x' })).toThrow(/must be relative/);
    expect(() => loadSettings({ EFI_NOTIFIER: 'smtp' })).toThrow(/EFI_NOTIFIER/);
  });
});
