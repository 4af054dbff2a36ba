import { AmbiguousConfigMatch, ConfigInvalid, NoConfigMatch } from '../errors.ts';
import type { FileConfig } from './model.ts';

/**
 * Object key → the one config that owns it. Keys are matched relative to the
 * landing prefix, so a config reads the same whatever prefix a deployment uses.
 *
 * - glob: `*` (within one path segment), `**` (across segments; `**\/` may be
 *   empty), `?`, `{a,b}` (nestable), `[abc]`, `[a-z]`, `[!abc]`; everything else
 *   is literal. The whole relative key must match.
 * - regex: a JavaScript RegExp tested against the relative key as written:
 *   anchor it yourself (`^...$`) when you mean the whole key.
 * - token (legacy): the last `_`-separated token of the file name, cut at its
 *   first `.`, equals the pattern: `in/SALES_20240101_527.txt.gz` → `527`.
 */

const MAX_PATTERNS_LISTED = 10;

/** Compiles a glob to an anchored RegExp; throws ConfigInvalid on bad syntax. */
export function compileGlob(glob: string): RegExp {
  if (glob === '') throw new ConfigInvalid('glob pattern is empty: write the key pattern, e.g. "sales/daily_*.csv"');
  let i = 0;
  const fail = (what: string, at: number): never => {
    throw new ConfigInvalid(`glob ${JSON.stringify(glob)}: ${what} at character ${at + 1}`);
  };

  // Recursive descent so braces can nest; `inBrace` makes `,` and `}` special.
  const parse = (inBrace: boolean): string => {
    let out = '';
    while (i < glob.length) {
      const c = glob[i]!;
      if (inBrace && (c === ',' || c === '}')) return out;
      if (c === '*') {
        if (glob[i + 1] === '*') {
          i += 2;
          if (glob[i] === '/') {
            i++;
            out += '(?:.*/)?';
          } else out += '.*';
        } else {
          i++;
          out += '[^/]*';
        }
      } else if (c === '?') {
        i++;
        out += '[^/]';
      } else if (c === '[') {
        out += parseClass();
      } else if (c === '{') {
        const open = i;
        i++;
        const alternatives: string[] = [];
        for (;;) {
          alternatives.push(parse(true));
          if (i >= glob.length) fail("'{' is never closed", open);
          if (glob[i] === '}') {
            i++;
            break;
          }
          i++; // ','
        }
        out += `(?:${alternatives.join('|')})`;
      } else if (c === '}') {
        fail("'}' without a matching '{'", i);
      } else if (c === ']') {
        fail("']' without a matching '['", i);
      } else if (c === '\\') {
        // Backslash escapes the next character, as in shells.
        if (i + 1 >= glob.length) fail('trailing backslash', i);
        out += escapeRegExp(glob[i + 1]!);
        i += 2;
      } else {
        out += escapeRegExp(c);
        i++;
      }
    }
    return out;
  };

  const parseClass = (): string => {
    const open = i;
    i++;
    let negate = false;
    if (glob[i] === '!' || glob[i] === '^') {
      negate = true;
      i++;
    }
    let body = '';
    let first = true;
    while (i < glob.length && (glob[i] !== ']' || first)) {
      const c = glob[i]!;
      if (c === '/') fail("'/' cannot appear inside [...]", i);
      // A '-' between two characters is a range; first or last it is literal.
      if (c === '-') body += first || glob[i + 1] === ']' ? '\\-' : '-';
      else body += escapeClassChar(c);
      first = false;
      i++;
    }
    if (i >= glob.length) fail("'[' is never closed", open);
    i++; // ']'
    const cls = `[${negate ? '^/' : ''}${body}]`;
    try {
      new RegExp(cls);
    } catch {
      fail('invalid character range in [...]', open);
    }
    return cls;
  };

  const source = parse(false);
  return new RegExp(`^${source}$`);
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function escapeClassChar(c: string): string {
  return c.replace(/[\\\]^[]/g, '\\$&');
}

/** Compiles a user regex; ConfigInvalid with the engine's reason when it does not compile. */
export function compileRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (e) {
    throw new ConfigInvalid(`regex ${JSON.stringify(pattern)} does not compile: ${(e as Error).message}`);
  }
}

/** The legacy token of a key: last `_` token of the file name before its first `.`. */
export function keyToken(relativeKey: string): string {
  const name = relativeKey.slice(relativeKey.lastIndexOf('/') + 1);
  const dot = name.indexOf('.');
  const stem = dot === -1 ? name : name.slice(0, dot);
  return stem.slice(stem.lastIndexOf('_') + 1);
}

type Matcher = (relativeKey: string) => boolean;
// Compiled once per pattern per process: the match runs for every file.
const matchers = new Map<string, Matcher>();

export function matcherFor(match: FileConfig['match']): Matcher {
  const cacheKey = `${match.kind}\u0000${match.pattern}`;
  let m = matchers.get(cacheKey);
  if (!m) {
    if (match.kind === 'token') {
      const token = match.pattern;
      m = (k) => keyToken(k) === token;
    } else {
      const re = match.kind === 'glob' ? compileGlob(match.pattern) : compileRegex(match.pattern);
      m = (k) => re.test(k);
    }
    matchers.set(cacheKey, m);
  }
  return m;
}

export function describeMatch(match: FileConfig['match']): string {
  return `${match.kind} ${JSON.stringify(match.pattern)}`;
}

/**
 * Returns the single active config whose pattern matches `key` relative to the
 * landing prefix. NoConfigMatch when none (or the key is outside the landing
 * prefix), AmbiguousConfigMatch when several. `nextStep` is the step after the
 * config is fixed, appended to those two messages: a run's FetchConfig names
 * its redrive; `efi check`, with no run, leaves it out.
 */
export function matchConfig(
  key: string,
  configs: readonly FileConfig[],
  opts: { landingPrefix: string; nextStep?: string },
): FileConfig {
  const then = opts.nextStep ? `, then ${opts.nextStep}` : '';
  const prefix = opts.landingPrefix;
  if (!key.startsWith(prefix) || key.length === prefix.length) {
    throw new NoConfigMatch(
      `object key ${JSON.stringify(key)} is outside the landing prefix ${JSON.stringify(prefix)}: only files under it are ingested; upload the file under ${JSON.stringify(prefix)} or change EFI_LANDING_PREFIX`,
    );
  }
  const relative = key.slice(prefix.length);
  const active = configs.filter((c) => c.active);
  const hits = active.filter((c) => matcherFor(c.match)(relative));
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) {
    throw new AmbiguousConfigMatch(
      `object key ${JSON.stringify(key)} (relative ${JSON.stringify(relative)}) matches ${hits.length} active configs: ${hits
        .map((c) => `${c.id} (${describeMatch(c.match)})`)
        .join(
          ', ',
        )}; make the patterns exclusive or deactivate all but one, then apply with \`efi config apply\`${then}`,
    );
  }
  const listed = active.slice(0, MAX_PATTERNS_LISTED).map((c) => `${c.id}: ${describeMatch(c.match)}`);
  const more = active.length > MAX_PATTERNS_LISTED ? ` and ${active.length - MAX_PATTERNS_LISTED} more` : '';
  const candidates =
    active.length === 0 ? 'there are no active configs' : `active configs: ${listed.join('; ')}${more}`;
  throw new NoConfigMatch(
    `object key ${JSON.stringify(key)} (relative ${JSON.stringify(relative)}) matches no active config; ${candidates}. Add a config with \`efi config apply\`${then}`,
  );
}
