import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from '../functions/lib/config/load-yaml.ts';
import { boundedValue, formatValue, redactValue, VALUE_SHOWN_MAX } from '../functions/lib/errors.ts';
import { validateFile } from '../functions/lib/steps/validate-file.ts';
import { fileConfig, tempStore } from './support/config-builder.ts';

describe('values from the file in messages are bounded and can be switched off (E14)', () => {
  it('shows a short value quoted, as is', () => {
    expect(formatValue('2026-02-30')).toBe('"2026-02-30"');
  });

  it('bounds a long value to 64 characters with an ellipsis and the full length', () => {
    const shown = formatValue('é'.repeat(1000));
    expect(shown).toBe(`"${'é'.repeat(VALUE_SHOWN_MAX)}…" (1000 characters)`);
    expect(boundedValue('x'.repeat(65))).toBe(`${'x'.repeat(64)}…`);
  });

  it('with errors.includeValues false shows only the length and hides the value from warehouse text', () => {
    const hidden = { includeValues: false };
    expect(formatValue('4111111111111111', hidden)).toBe(
      'a value of 16 characters (values hidden: errors.includeValues is false)',
    );
    expect(boundedValue('secret', hidden)).toBeNull();
    expect(redactValue('invalid input syntax for type date: "secret"', 'secret', hidden)).toBe(
      'invalid input syntax for type date: "<value hidden>"',
    );
  });

  it('errors.includeValues is a per-feed config key', () => {
    const [c] = parseConfigYaml(
      [
        'interface: cards',
        'files:',
        '  - id: cards.daily',
        '    match: { glob: "cards_*.csv" }',
        '    target: { schema: stage, table: cards }',
        '    columns: [pan]',
        '    errors: { includeValues: false }',
      ].join('\n'),
      'cards.yaml',
    );
    expect(c!.errors).toEqual({ includeValues: false });
  });

  it('a rejection message of a feed with includeValues false carries no value from the file', async () => {
    const t = await tempStore();
    try {
      const cfg = fileConfig({
        trailer: { count: { kind: 'pattern', regex: '^TRL\\|(.*)$' }, marker: 'TRL|' },
        errors: { includeValues: false },
      });
      const run = await t.put('in/a.csv', '1,a,10\nTRL|SECRET-4111\n');
      const e = await validateFile(t.store, run, cfg).catch((x: Error) => x);
      expect((e as Error).name).toBe('TrailerInvalid');
      expect((e as Error).message).not.toContain('SECRET');
      expect((e as Error).message).toMatch(/a value of 11 characters/);
    } finally {
      await t.cleanup();
    }
  });
});
