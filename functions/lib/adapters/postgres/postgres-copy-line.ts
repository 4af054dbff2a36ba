import { STOP } from '../../records/record-scanner.ts';
import { ALL_RECORDS_ARE_DATA, scanRecords } from '../../records/scan-records.ts';

/**
 * Which record of a part PostgreSQL meant by "COPY t, line N", and the
 * physical line that record starts on (what LoadRowError.lineInPart holds).
 *
 * PostgreSQL's CSV COPY counts a record's line breaks inside quotes, but only
 * once it has seen the first line end (it does not know the line-end style
 * before that), so the embedded breaks of the first record it reads are not
 * counted; and it reports the line the record ends on. Rows the adapter left
 * out of the COPY (`skip`, by record number) are not seen by PostgreSQL at all.
 * This replays that count over the part, on the failure path only. With
 * Redshift ESCAPE (`escapeByte`, text mode) an escaped line feed is inside the
 * record, and the rewrite hands it to PostgreSQL inside quotes: counted the same.
 */

export interface CopyLineTarget {
  /** 1-based record number in the part. */
  record: number;
  /** 1-based physical line of the part where the record starts. */
  line: number;
}

const LF = 0x0a;

export async function locateCopyLine(
  part: AsyncIterable<Buffer>,
  quote: number | null,
  skip: ReadonlySet<number>,
  copyLine: number,
  escapeByte: number | null = null,
): Promise<CopyLineTarget | null> {
  const spans = quote !== null || escapeByte !== null;
  let record = 0;
  let copied = 0;
  let pgLine = 0;
  let at: CopyLineTarget | null = null;
  await scanRecords(
    part,
    { scanner: { quote, stripBom: false, escape: escapeByte }, roles: ALL_RECORDS_ARE_DATA },
    {
      data(buf, start, end, line) {
        record++;
        if (skip.has(record)) return;
        copied++;
        pgLine++;
        if (copied > 1 && spans) {
          for (let i = buf.indexOf(LF, start); i !== -1 && i < end; i = buf.indexOf(LF, i + 1)) pgLine++;
        }
        if (pgLine < copyLine) return;
        at = { record, line };
        return STOP;
      },
    },
  );
  return at;
}
