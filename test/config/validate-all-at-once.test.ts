import { describe, expect, it } from 'vitest';
import { checkConfigYaml } from '../../functions/lib/config/load-yaml.ts';

/** Every problem of `text`, as `path: message`, in the order validate lists them. */
function problems(text: string): string[] {
  return checkConfigYaml(text, 'feed.yaml').issues.map((i) => `${i.path}: ${i.message}`);
}

const entry = (body: string) => `interface: sales
files:
  - id: sales.daily
    match: { glob: "sales/*.csv" }
${body}`;

describe('config validate reports every problem of a file in one run', () => {
  it('a field error, two rules across fields and a local-capability refusal, each at its path, by path then rule', () => {
    const found = problems(
      entry(`    format: { compression: lzop, escape: "\\\\", delimiter: "|" }
    target: { schema: stage, table: sales }
    columns: [a, b, c]
    load: { timeFormat: "YYYY-MM-DD HH24:MI:SS TZH", acceptInvalidChars: "|" }
`),
    );
    expect(found).toEqual([
      expect.stringMatching(/^files\[0\]\.format\.compression: lzop is not supported/),
      expect.stringMatching(/^files\[0\]\.format\.escape: escape "\\\\" cannot be used with quote "\\""/),
      expect.stringMatching(/^files\[0\]\.load\.timeFormat: timeFormat .*a time zone specifier \(TZH\)/),
      expect.stringMatching(/^files\[0\]\.load\.acceptInvalidChars: acceptInvalidChars "\|" is \(in\) the delimiter/),
    ]);
  });

  it('a rule that reads a field which failed does not run (its problem would only restate that failure)', () => {
    // The escape is invalid itself: the escape/quote rule and acceptInvalidChars (which reads the separators) wait.
    const found = problems(
      entry(`    format: { escape: "ab" }
    target: { schema: stage, table: sales }
    load: { acceptInvalidChars: '"', dateFormat: "DD/MM" }
`),
    );
    expect(found).toEqual([
      'files[0].format.escape: escape character must be one character, not a line break',
      expect.stringMatching(/^files\[0\]\.load\.dateFormat: dateFormat "DD\/MM": has no year/),
    ]);
  });

  it('an unknown key (which never stopped the rules) fails only itself, not the mapping that holds it', () => {
    const found = problems(
      entry(`    format: { quote: null, escape: "/", delimitr: ";" }
    target: { schema: stage, table: sales }
`),
    );
    expect(found).toEqual([
      expect.stringMatching(/^files\[0\]\.format: unknown key "delimitr"/),
      expect.stringMatching(/^files\[0\]\.format\.escape: escape "\/" is not supported/),
    ]);
  });

  it('rules on whether a field is set run whatever its value; rules across entries run past entry problems', () => {
    const found = problems(`interface: sales
files:
  - id: sales.daily
    match: { glob: "a/*.csv" }
    target: { schema: Stage, table: sales }
    split:
      prefixLength: 0
      records: [{ type: "H", target: { schema: stage, table: h }, columns: [a] }]
  - id: sales.daily
    match: { glob: "b/*.csv" }
    minSizeBytes: 10
    maxSizeBytes: 5
`);
    expect(found).toEqual([
      expect.stringMatching(/^files\[0\]\.target: with split, each split\.records entry has its own target/),
      expect.stringMatching(/^files\[0\]\.target\.schema: "Stage" is not a valid target schema/),
      expect.stringMatching(/^files\[0\]\.split\.prefixLength: expected a number >= 1/),
      'files[1]: target is required (or split with records)',
      'files[1].id: duplicate config id sales.daily (also files[0])',
      'files[1].maxSizeBytes: maxSizeBytes (5) must be >= minSizeBytes (10)',
    ]);
  });

  it('rules inside a field (trailer, match) run past a failed neighbour too', () => {
    const found = problems(`interface: sales
files:
  - id: sales.daily
    match: { regex: "(", token: 5 }
    target: { schema: stage, table: sales }
    trailer: { countPattern: "^T$", marker: "" }
`);
    expect(found).toEqual([
      'files[0].match: expected exactly one of glob, regex or token, got regex and token',
      'files[0].match.token: expected string, got the number 5: quote it, e.g. "5"',
      'files[0].trailer.countPattern: the pattern needs a capture group around the count, e.g. "^T\\|(\\d+)$"',
      'files[0].trailer.marker: expected at least 1 character',
    ]);
  });

  it('lists the problems by path as the file is written, not in the order the checks found them', () => {
    // zod reports the field error (load.maxErrors) first and the rules after it, in rule order.
    const found = problems(
      entry(`    format: { quote: null, escape: "/" }
    load: { timeFormat: "HH:MI", maxErrors: -1, nullAs: "\0" }
`),
    );
    expect(found.map((p) => p.slice(0, p.indexOf(': ')))).toEqual([
      'files[0]',
      'files[0].format.escape',
      'files[0].load.timeFormat',
      'files[0].load.maxErrors',
      'files[0].load.nullAs',
    ]);
  });
});
