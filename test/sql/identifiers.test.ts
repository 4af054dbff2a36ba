import { describe, expect, it } from 'vitest';
import { ConfigInvalid } from '../../functions/lib/errors.ts';
import { quoteAnyIdent } from '../../functions/lib/sql/identifiers.ts';

describe('quoteAnyIdent', () => {
  it('keeps the case of a name created quoted', () => {
    expect(quoteAnyIdent('RDSCNFG')).toBe('"RDSCNFG"');
  });

  it('doubles an embedded double quote', () => {
    expect(quoteAnyIdent('a"b')).toBe('"a""b"');
  });

  it('refuses a NUL, which no quoting can carry', () => {
    expect(() => quoteAnyIdent('a\0b')).toThrow(ConfigInvalid);
  });
});
