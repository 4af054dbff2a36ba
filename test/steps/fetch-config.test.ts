import { describe, expect, it } from 'vitest';
import { type ClaimOwner, type DuplicatePolicy, decideDuplicate } from '../../functions/lib/steps/fetch-config.ts';

const policy = (p: Partial<DuplicatePolicy> = {}): DuplicatePolicy => ({
  reload: false,
  reloadMode: 'replace',
  hasRunIdLineage: true,
  key: 'landing/b.csv',
  ...p,
});
const owner = (status: NonNullable<ClaimOwner['prior']>['status'], o: Partial<ClaimOwner> = {}): ClaimOwner => ({
  runId: 'r1',
  prior: { status, error: null, key: 'landing/a.csv' },
  replaces: [],
  ...o,
});

describe('decideDuplicate: who loads content another run has claimed', () => {
  it('skips while the owner is in flight, naming it, and keeps the copy in landing (even with --reload)', () => {
    for (const reload of [false, true]) {
      const d = decideDuplicate(owner('RUNNING'), policy({ reload }));
      expect(d.takeOver).toBe(false);
      if (d.takeOver) return;
      expect(d.skip.reason).toMatch(/run r1 is loading the same content \(landing\/a\.csv\) — in flight, wait/);
      expect(d.skip.archiveDuplicate).toBe(false);
    }
  });

  it('skips a failed or aborted owner with "redrive it"; --reload takes over and replaces its lineage', () => {
    for (const status of ['FAILED', 'ABORTED'] as const) {
      const d = decideDuplicate(owner(status), policy());
      expect(d.takeOver).toBe(false);
      if (!d.takeOver) expect(d.skip.reason).toMatch(/redrive it \(efi redrive r1\)/);
    }
    expect(decideDuplicate(owner('FAILED', { replaces: ['r0'] }), policy({ reload: true }))).toEqual({
      takeOver: true,
      replaceRunIds: ['r0', 'r1'],
    });
  });

  it('gives the same bytes a fresh run after a rejection (its file can never be redriven)', () => {
    const rejected = owner('FAILED', {
      prior: { status: 'FAILED', key: 'landing/a.csv', error: { name: 'TrailerMismatch', message: '', state: null } },
    });
    expect(decideDuplicate(rejected, policy())).toEqual({ takeOver: true, replaceRunIds: [] });
  });

  it('skips and archives a copy of loaded content; says "this file" for the same name', () => {
    const d = decideDuplicate(owner('FINISHED'), policy({ key: 'landing/a.csv' }));
    expect(d).toMatchObject({ takeOver: false, skip: { archiveDuplicate: true } });
    if (!d.takeOver) expect(d.skip.reason).toMatch(/run r1 already loaded this file; ingest with --reload/);
  });

  it('--reload of loaded content replaces only the FINISHED owner’s rows (its own replacements are committed)', () => {
    expect(decideDuplicate(owner('FINISHED', { replaces: ['r0'] }), policy({ reload: true }))).toEqual({
      takeOver: true,
      replaceRunIds: ['r1'],
    });
  });

  it('refuses --reload when rows cannot be found by run id, unless reloadMode: append', () => {
    const refused = decideDuplicate(owner('FINISHED'), policy({ reload: true, hasRunIdLineage: false }));
    expect(refused.takeOver).toBe(false);
    if (!refused.takeOver) {
      expect(refused.skip.reason).toMatch(/--reload refused: .*lineage\.runId.*reloadMode: append/);
      expect(refused.skip.archiveDuplicate).toBe(false);
    }
    expect(
      decideDuplicate(owner('FINISHED'), policy({ reload: true, hasRunIdLineage: false, reloadMode: 'append' })),
    ).toEqual({ takeOver: true, replaceRunIds: [] });
  });
});
