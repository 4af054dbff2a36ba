/**
 * Fixed-width record rules shared by ValidateFile and the local load, so a
 * record one passes the other loads.
 */

/**
 * Whether a fixed-width record of `recordBytes` bytes stops inside its last
 * column: after that column starts, before the layout's `totalWidth` ends.
 * Redshift FIXEDWIDTH reads the last column up to the line end (the docs'
 * venue_fw.txt ends "IL0" in a 6-byte venueseats), so such a record loads; one
 * that stops before the last column starts is cut short. Widths count bytes.
 *
 * @example stopsInsideLastColumn(46, 48, 6) // true: venueseats holds 4 of its 6 bytes
 */
export function stopsInsideLastColumn(recordBytes: number, totalWidth: number, lastWidth: number): boolean {
  return recordBytes > totalWidth - lastWidth && recordBytes < totalWidth;
}
