/**
 * file_prefix → efi match. The original framework took the file's token (the
 * last `_`-separated part of its name before the first `.`, e.g. `527` for
 * `NDC_20240101_527.txt`) and selected the config with
 * `file_prefix LIKE '%' || token || '.%'`: a config matched when its
 * file_prefix contained `<token>.` anywhere. So every `.` in file_prefix
 * closes one candidate token: the run of characters before it, back to a
 * `_`, `/`, `%`, blank or the start.
 *
 * The LIKE also accepted a token that is only the tail of a candidate (`27`
 * for `527.`); that is an accident of substring matching, not something a feed
 * relied on, so efi matches the whole token exactly.
 */

export type PrefixMatch =
  /** Exactly one token: efi's `token` match is the legacy rule. */
  | { kind: 'token'; token: string; note: string | null }
  /** Several tokens: a regex equivalent to the LIKE, for a person to narrow down. */
  | { kind: 'regex'; regex: string; tokens: string[]; review: string }
  /** The LIKE could never match any file: import inactive with the likely intended token. */
  | { kind: 'never'; token: string | null; review: string };

const BOUNDARY = /[_/%\s]/;

function tailToken(piece: string): string {
  let i = piece.length;
  while (i > 0 && !BOUNDARY.test(piece[i - 1]!)) i--;
  return piece.slice(i);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * Regex over the key relative to the landing prefix that holds exactly when
 * the key's legacy token is one of `tokens`: the last path segment, an
 * optional `..._` stem prefix, the token, then the extension(s) or nothing.
 */
export function tokenRegex(tokens: readonly string[]): string {
  const alternatives = tokens.map(escapeRegExp).join('|');
  return `(?:^|/)(?:[^/.]*_)?(?:${alternatives})(?:\\.[^/]*)?$`;
}

export function prefixToMatch(filePrefix: string | null): PrefixMatch {
  const raw = filePrefix ?? '';
  const pieces = raw.split('.');
  const closed = pieces.slice(0, -1);
  const tokens = [...new Set(closed.map(tailToken).filter((t) => t !== ''))];
  const shown = JSON.stringify(raw);

  if (closed.length === 0) {
    const guess = tailToken(raw.trim());
    return {
      kind: 'never',
      token: guess === '' ? null : guess,
      review: `file_prefix ${shown} contains no ".", so the legacy match (file_prefix LIKE '%<token>.%') never selected any file: this config was dead in the original framework`,
    };
  }
  if (tokens.length === 0) {
    return {
      kind: 'never',
      token: null,
      review: `file_prefix ${shown} has no token before its "." (nothing but _, %, / or blanks), so no file name's token could have selected it`,
    };
  }
  if (tokens.length === 1) {
    const token = tokens[0]!;
    const plain = raw === `${token}.` || raw === `%${token}.%` || raw === `%${token}.`;
    return {
      kind: 'token',
      token,
      note: plain
        ? null
        : `file_prefix ${shown}: the legacy match compared only the token ${JSON.stringify(token)} (the text before the ".", back to the last _), so the rest of file_prefix never mattered`,
    };
  }
  return {
    kind: 'regex',
    regex: tokenRegex(tokens),
    tokens,
    review: `file_prefix ${shown} names ${tokens.length} tokens (${tokens.map((t) => JSON.stringify(t)).join(', ')}): the legacy match selected a file whose token was any of them; the regex keeps that, narrow it to the one you mean (or use match: { token: ... })`,
  };
}
