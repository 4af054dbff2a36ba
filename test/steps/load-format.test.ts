import { describe, expect, it } from 'vitest';
import { CSV_LOAD_FORMAT, loadFormatOf } from '../../functions/lib/steps/load-format.ts';
import { fileConfig } from '../support/config-builder.ts';

describe('loadFormatOf', () => {
  it("is the config's format for the original file and for preprocessed parts of a one-character delimiter", () => {
    const cfg = fileConfig({ format: { delimiter: '|', quote: null, escape: '\\' } });
    const own = { layout: 'delimited', delimiter: '|', quote: null, escape: '\\' };
    expect(loadFormatOf(cfg, 'original')).toEqual(own);
    expect(loadFormatOf(cfg, 'preprocessed')).toEqual(own);
  });

  it('is canonical CSV for preprocessed parts of a multi-character delimiter, which Preprocess rewrites', () => {
    const cfg = fileConfig({ format: { delimiter: '~|~' } });
    expect(loadFormatOf(cfg, 'preprocessed')).toEqual(CSV_LOAD_FORMAT);
    expect(loadFormatOf(cfg, 'original').delimiter).toBe('~|~');
  });

  it('keeps a fixed-width layout', () => {
    const cfg = fileConfig({ format: { layout: 'fixed_width', delimiter: ',', quote: null, escape: null } });
    expect(loadFormatOf(cfg, 'preprocessed').layout).toBe('fixed_width');
  });
});
