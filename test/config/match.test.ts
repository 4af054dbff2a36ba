import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import { compileGlob, keyToken, matchConfig } from '../../functions/lib/config/match.ts';
import type { FileConfig } from '../../functions/lib/config/model.ts';
import { AmbiguousConfigMatch, ConfigInvalid, NoConfigMatch } from '../../functions/lib/errors.ts';

function config(id: string, match: string, active = true): FileConfig {
  return parseConfigYaml(
    `interface: t
files:
  - id: ${id}
    active: ${active}
    match: ${match}
    target: { schema: stage, table: t }
    columns: [a]
`,
    `${id}.yaml`,
  )[0]!;
}

const landing = { landingPrefix: 'landing/' };

describe('compileGlob', () => {
  const cases: Array<[string, string[], string[]]> = [
    [
      'sales/daily_*.csv',
      ['sales/daily_1.csv', 'sales/daily_.csv'],
      ['sales/daily_1/x.csv', 'sales/daily_1.csv.gz', 'x/sales/daily_1.csv'],
    ],
    ['**/*.csv', ['a.csv', 'a/b/c.csv'], ['a.txt']],
    ['sales/**', ['sales/a', 'sales/a/b'], ['salesx/a']],
    ['sales/**/x.csv', ['sales/x.csv', 'sales/a/b/x.csv'], ['salesx.csv']],
    ['file?.txt', ['file1.txt'], ['file.txt', 'file12.txt', 'file/.txt']],
    ['{sales,crm}/*.{csv,txt}', ['sales/a.csv', 'crm/b.txt'], ['inv/a.csv', 'sales/a.gz']],
    ['data_{a,{b,c}d}.csv', ['data_a.csv', 'data_bd.csv', 'data_cd.csv'], ['data_b.csv']],
    ['r[0-9][!x].csv', ['r1a.csv'], ['rxa.csv', 'r1x.csv']],
    ['[-a]b', ['-b', 'ab'], ['bb']],
    ['a+b(c).$^|x', ['a+b(c).$^|x'], ['aab(c).$^|x', 'a+bc.$^|x']],
    ['lit\\*.csv', ['lit*.csv'], ['litx.csv']],
  ];
  it.each(cases)('%s', (glob, yes, no) => {
    const re = compileGlob(glob);
    for (const k of yes) expect(re.test(k), `${glob} should match ${k}`).toBe(true);
    for (const k of no) expect(re.test(k), `${glob} should not match ${k}`).toBe(false);
  });

  it.each([
    ['a{b,c', "'{' is never closed at character 2"],
    ['a}b', "'}' without a matching '{' at character 2"],
    ['a[bc', "'[' is never closed at character 2"],
    ['a]', "']' without a matching '[' at character 2"],
    ['a[z-a]', 'invalid character range'],
    ['a[/]', "'/' cannot appear inside [...]"],
    ['', 'glob pattern is empty'],
  ])('rejects %j', (glob, message) => {
    expect(() => compileGlob(glob)).toThrow(ConfigInvalid);
    expect(() => compileGlob(glob)).toThrow(message);
  });
});

describe('keyToken', () => {
  it.each([
    ['in/SALES_20240101_527.txt', '527'],
    ['SALES_20240101_527.txt.gz', '527'],
    ['a/b/noextension_42', '42'],
    ['plain.csv', 'plain'],
  ])('%s → %s', (key, token) => expect(keyToken(key)).toBe(token));
});

describe('matchConfig', () => {
  const daily = config('sales.daily', '{ glob: "sales/daily_*.csv" }');
  const regex = config('sales.monthly', '{ regex: "^sales/monthly_\\\\d{6}\\\\.csv$" }');
  const token = config('legacy.527', '{ token: "527" }');
  const all = [daily, regex, token];

  it('matches by glob, regex and token relative to the landing prefix', () => {
    expect(matchConfig('landing/sales/daily_20240101.csv', all, landing).id).toBe('sales.daily');
    expect(matchConfig('landing/sales/monthly_202401.csv', all, landing).id).toBe('sales.monthly');
    expect(matchConfig('landing/in/INV_20240101_527.txt', all, landing).id).toBe('legacy.527');
  });

  it('uses the regex as written: unanchored patterns match anywhere', () => {
    const loose = config('loose', '{ regex: "monthly" }');
    expect(matchConfig('landing/x/monthly/y', [loose], landing).id).toBe('loose');
  });

  it('rejects a key outside the landing prefix, saying so', () => {
    expect(() => matchConfig('other/sales/daily_1.csv', all, landing)).toThrow(NoConfigMatch);
    expect(() => matchConfig('other/sales/daily_1.csv', all, landing)).toThrow(
      'object key "other/sales/daily_1.csv" is outside the landing prefix "landing/"',
    );
  });

  it('names the key and lists the active patterns when nothing matches', () => {
    const inactive = config('sales.old', '{ glob: "sales/*.txt" }', false);
    let error: unknown;
    try {
      matchConfig('landing/sales/weekly.txt', [...all, inactive], landing);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NoConfigMatch);
    const msg = (error as Error).message;
    expect(msg).toContain(
      'object key "landing/sales/weekly.txt" (relative "sales/weekly.txt") matches no active config',
    );
    expect(msg).toContain('sales.daily: glob "sales/daily_*.csv"');
    expect(msg).toContain('legacy.527: token "527"');
    expect(msg).not.toContain('sales.old');
    expect(msg).toContain('efi config apply');
  });

  it('lists at most 10 patterns', () => {
    const many = Array.from({ length: 12 }, (_, i) => config(`c${i}`, `{ glob: "c${i}/*" }`));
    expect(() => matchConfig('landing/zzz', many, landing)).toThrow(/c9: glob "c9\/\*" and 2 more\. Add a config/);
  });

  it('says there are no active configs when there are none', () => {
    expect(() => matchConfig('landing/a.csv', [], landing)).toThrow('there are no active configs');
  });

  it('names every matching config when several match', () => {
    const broad = config('sales.all', '{ glob: "sales/**" }');
    let error: unknown;
    try {
      matchConfig('landing/sales/daily_1.csv', [...all, broad], landing);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AmbiguousConfigMatch);
    expect((error as Error).message).toMatch(
      /^object key "landing\/sales\/daily_1\.csv" \(relative "sales\/daily_1\.csv"\) matches 2 active configs: sales\.daily \(glob "sales\/daily_\*\.csv"\), sales\.all \(glob "sales\/\*\*"\)/,
    );
  });

  it('ignores inactive configs', () => {
    const off = config('sales.daily', '{ glob: "sales/daily_*.csv" }', false);
    const broad = config('sales.all', '{ glob: "sales/**" }');
    expect(matchConfig('landing/sales/daily_1.csv', [off, broad], landing).id).toBe('sales.all');
  });
});
