import { describe, expect, it } from 'vitest';
import { stopsInsideLastColumn } from '../../functions/lib/records/fixed-width.ts';

describe('stopsInsideLastColumn', () => {
  // The docs' venue_fw.txt layout: venueid:3,venuename:25,venuecity:12,venuestate:2,venueseats:6 (48 bytes).
  it('is true for a record that stops after the last column starts (venue_fw.txt "IL0")', () => {
    expect(stopsInsideLastColumn(43, 48, 6)).toBe(true);
    expect(stopsInsideLastColumn(47, 48, 6)).toBe(true);
  });

  it('is false for a record that stops where the last column starts, or before', () => {
    expect(stopsInsideLastColumn(42, 48, 6)).toBe(false);
    expect(stopsInsideLastColumn(10, 48, 6)).toBe(false);
  });

  it('is false for a record of the full width or longer: nothing is cut short', () => {
    expect(stopsInsideLastColumn(48, 48, 6)).toBe(false);
    expect(stopsInsideLastColumn(50, 48, 6)).toBe(false);
  });
});
