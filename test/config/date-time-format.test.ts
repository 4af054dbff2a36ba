import { describe, expect, it } from 'vitest';
import { dateTimeConverter } from '../../functions/lib/adapters/postgres/postgres-date-format.ts';
import { redshiftDateTimeFormatProblem } from '../../functions/lib/config/cross-field-checks.ts';
import { tokenizeDateTimeFormat } from '../../functions/lib/config/date-time-format.ts';

describe('tokenizeDateTimeFormat', () => {
  it('reads the longest part first and keeps every other character as a literal', () => {
    expect(tokenizeDateTimeFormat('YYYY-MM-DD HH24:MI:SS').map((t) => ('part' in t ? t.part : t.literal))).toEqual([
      'year',
      '-',
      'month',
      '-',
      'day',
      ' ',
      'hour24',
      ':',
      'minute',
      ':',
      'second',
    ]);
    expect(tokenizeDateTimeFormat('DD.MON.YY').map((t) => ('part' in t ? t.text : t.literal))).toEqual([
      'DD',
      '.',
      'MON',
      '.',
      'YY',
    ]);
  });
});

describe('validation and the local converter read a pattern the same way', () => {
  const cases: Array<[format: string, kind: 'date' | 'timestamp', value: string, read: string]> = [
    ['MM/DD/YYYY', 'date', '01/25/2008', '2008-01-25'],
    ['DD.MM.YY', 'date', '25.01.08', '2008-01-25'],
    ['YYYYMMDD', 'date', '20080125', '2008-01-25'],
    ['DD MONTH YYYY', 'date', '25 January 2008', '2008-01-25'],
    ['DD MON YYYY', 'date', '25 Jan 2008', '2008-01-25'],
    ['YYYY-MM-DD HH24:MI:SS', 'timestamp', '2008-01-25 14:30:00', '2008-01-25 14:30:00'],
    ['MM/DD/YYYY HH12:MI:SS AM', 'timestamp', '01/25/2008 02:30:00 PM', '2008-01-25 14:30:00'],
  ];
  for (const [format, kind, value, read] of cases) {
    it(`${format}: valid, and ${JSON.stringify(value)} reads as ${read}`, () => {
      expect(redshiftDateTimeFormatProblem(format, kind)).toBeNull();
      expect(dateTimeConverter(format, kind, 'dateFormat')(value)).toBe(read);
    });
  }

  it('a value in another layout than the pattern is not read (Redshift refuses it)', () => {
    expect(dateTimeConverter('YYYY-MM-DD HH:MI:SS', 'timestamp', 'timeFormat')('01/25/2008 14:30:00')).toBeNull();
  });
});
