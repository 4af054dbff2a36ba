import type { FileConfig } from '../config/model.ts';
import type { LoadFormat } from '../ports/warehouse.ts';
import { rewritesToCsv } from '../records/record-plan.ts';

/** What Preprocess writes when it rewrites records (a multi-character delimiter): canonical CSV. */
export const CSV_LOAD_FORMAT: LoadFormat = { layout: 'delimited', delimiter: ',', quote: '"', escape: null };

/**
 * The format the warehouse reads a config's records in, derived here only:
 * - `'original'`: the file as delivered (a target loaded from the original, which carries no format);
 * - `'preprocessed'`: what Preprocess writes and stamps on each prepared target: the
 *   config's format, or canonical CSV when it rewrites the records.
 */
export function loadFormatOf(config: FileConfig, bytes: 'original' | 'preprocessed'): LoadFormat {
  if (bytes === 'preprocessed' && rewritesToCsv(config)) return CSV_LOAD_FORMAT;
  const f = config.format;
  return { layout: f.layout, delimiter: f.delimiter, quote: f.quote, escape: f.escape };
}
