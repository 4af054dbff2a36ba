import { describe, expect, it } from 'vitest';
import { lineAndColumnOfPosition } from '../../functions/lib/sql/error-position.ts';

describe('lineAndColumnOfPosition', () => {
  it('reads a 1-based position as line and column', () => {
    const sql = 'ALTER TABLE a\n  ADD x\n  REFERENCES b';
    expect(lineAndColumnOfPosition(sql, 1)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumnOfPosition(sql, sql.indexOf('REFERENCES') + 1)).toEqual({ line: 3, column: 3 });
  });

  it('counts an emoji as one character, as PostgreSQL does', () => {
    // '😀' is one character but two UTF-16 code units: "nope" is character 15.
    expect(lineAndColumnOfPosition("SELECT '😀',\n  nope", 15)).toEqual({ line: 2, column: 3 });
    expect(lineAndColumnOfPosition("SELECT '😀😀', nope", 14)).toEqual({ line: 1, column: 14 });
  });

  it('stops at the end of the text for a position past it', () => {
    expect(lineAndColumnOfPosition('a\nb', 99)).toEqual({ line: 2, column: 2 });
  });
});
