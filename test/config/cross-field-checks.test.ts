import { describe, expect, it } from 'vitest';
import { redshiftDateTimeFormatProblem } from '../../functions/lib/config/cross-field-checks.ts';
import { checkConfigYaml, parseConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import { DEFAULT_MIN_SIZE_BYTES } from '../../functions/lib/config/model.ts';

const feed = (lines: string[]) =>
  [
    'interface: sales',
    'files:',
    '  - id: sales.daily',
    '    match: { glob: "sales/daily_*.csv" }',
    '    target: { schema: stage, table: sales }',
    ...lines.map((l) => `    ${l}`),
  ].join('\n');
const problems = (text: string) => checkConfigYaml(text, 'feed.yaml').issues.map((i) => `${i.path}: ${i.message}`);

describe('config validate catches mistakes that would otherwise reject every file (E13)', () => {
  it('header.columns with 4 names vs columns with 3', () => {
    const p = problems(feed(['header: { columns: [a, b, c, d] }', 'columns: [a, b, c]']));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/header\.columns: header\.columns has 4 names but columns has 3/);
  });

  it('timeFormat DD/MM/YYYY HH:MM: MM is the month, minutes are MI', () => {
    const p = problems(feed(['columns: [a, b]', 'load: { timeFormat: "DD/MM/YYYY HH:MM" }']));
    expect(p).toEqual([
      'files[0].load.timeFormat: timeFormat "DD/MM/YYYY HH:MM": MM appears twice: MM is the month; minutes are MI (write DD/MM/YYYY HH:MI)',
    ]);
  });

  it.each([
    ['YYYY-MM-DD', 'date', null],
    ['DD.MM.YYYY', 'date', null],
    ['auto', 'date', null],
    ['YYYY-MM-DD HH24:MI:SS', 'timestamp', null],
    ['MM/DD/YYYY HH12:MI:SS AM', 'timestamp', null],
    ['epochsecs', 'timestamp', null],
    ['epochsecs', 'date', /timeFormat only/],
    ['yyyy-mm-dd', 'date', /"yyyy" is not a Redshift date\/time part/],
    ['DD/MM', 'date', /no year/],
    // Redshift DATEFORMAT: time parts are allowed and ignored.
    ['YYYY-MM-DD HH:MI', 'date', null],
    ['YYYY-DD-DD', 'date', /both give the day/],
  ] as const)('%s as a %s format → %s', (format, kind, expected) => {
    const problem = redshiftDateTimeFormatProblem(format, kind);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it('has no default minimum size, so a header-only file reports ZeroRecords, not FileTooSmall', () => {
    expect(DEFAULT_MIN_SIZE_BYTES).toBe(0);
    const [c] = parseConfigYaml(feed(['columns: [a, b]']), 'feed.yaml');
    expect(c!.minSizeBytes).toBe(0);
  });

  it('accepts reloadMode replace or append, defaulting to replace', () => {
    expect(parseConfigYaml(feed(['columns: [a]']), 'f.yaml')[0]!.reloadMode).toBe('replace');
    expect(parseConfigYaml(feed(['columns: [a]', 'reloadMode: append']), 'f.yaml')[0]!.reloadMode).toBe('append');
    expect(problems(feed(['columns: [a]', 'reloadMode: twice']))[0]).toMatch(/reloadMode/);
  });
});
