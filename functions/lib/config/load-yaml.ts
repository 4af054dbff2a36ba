import fs from 'node:fs/promises';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigInvalid } from '../errors.ts';
import type { FileConfig } from './model.ts';
import { InterfaceDocSchema, toFileConfigs } from './schema.ts';

/**
 * YAML config files → FileConfig[]. Every problem is reported with the file,
 * the line:column of the offending YAML node, the path inside the document
 * (files[0].target.table) and what was expected, so people can fix a config
 * without reading the schema.
 */

/** Config files are small, hand-written documents; a bigger one is a mistake (or an attack on the parser). */
const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export interface ConfigIssue {
  file: string;
  /** 1-based; null when the problem is not tied to one place (e.g. the file cannot be read). */
  line: number | null;
  column: number | null;
  /** Path inside the document, e.g. `files[0].target.table`; '' for the whole document. */
  path: string;
  message: string;
}

export interface InterfaceInfo {
  name: string;
  description: string | null;
  active: boolean;
}

export interface ParsedConfigFile {
  file: string;
  interface: InterfaceInfo | null;
  configs: FileConfig[];
  /** Where each config id is written, to point at duplicates across files. */
  idPositions: Record<string, { line: number; column: number }>;
  issues: ConfigIssue[];
}

export interface LoadedConfigs {
  files: ParsedConfigFile[];
  interfaces: InterfaceInfo[];
  configs: FileConfig[];
}

/** A config file (or several) that does not validate; `issues` lists every problem. */
export class ConfigFileInvalid extends ConfigInvalid {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    const first = issues[0];
    super(
      `${issues.length} problem${issues.length === 1 ? '' : 's'} in config:\n${issues.map(formatIssue).join('\n')}`,
      first?.line != null ? { line: first.line } : {},
    );
    this.issues = issues;
  }
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.line == null ? i.file : `${i.file}:${i.line}:${i.column}`;
  return `${where}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

type PathSeg = string | number;

export function formatPath(p: readonly PathSeg[]): string {
  let out = '';
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

type SortKey = [number, string][];

/** Compares two issue positions: a field before what is inside it, then fields as written, then by name. */
function compareSortKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, xs] = a[i]!;
    const [y, ys] = b[i]!;
    if (x !== y) return x - y;
    if (xs !== ys) return xs < ys ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * The order of `p` among paths of the document: each key ranked by where it is written in its
 * mapping (a key not written, e.g. a missing required one, after those that are), each item by index.
 */
function sortKey(root: unknown, p: readonly PathSeg[]): SortKey {
  const key: SortKey = [];
  let node = root as Node | null | undefined;
  for (const seg of p) {
    let rank = Number.MAX_SAFE_INTEGER;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === seg);
      rank = (pair?.key as Node | undefined)?.range?.[0] ?? rank;
      next = pair?.value;
    } else if (isSeq(node) && typeof seg === 'number') next = node.items[seg];
    key.push(typeof seg === 'number' ? [seg, ''] : [rank, seg]);
    node = next as Node | null | undefined;
  }
  return key;
}

/** Validates one YAML document; never throws for content problems. */
export function checkConfigYaml(text: string, fileName: string): ParsedConfigFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => {
    const lp = lineCounter.linePos(offset);
    return lp.line === 0 ? { line: 1, column: offset + 1 } : { line: lp.line, column: lp.col };
  };
  const result: ParsedConfigFile = { file: fileName, interface: null, configs: [], idPositions: {}, issues: [] };

  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const at = pos(e.pos[0]);
      result.issues.push({ file: fileName, ...at, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` });
    }
    return result;
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    result.issues.push({
      file: fileName,
      line: null,
      column: null,
      path: '',
      message: `YAML: ${(e as Error).message}`,
    });
    return result;
  }
  if (data == null) {
    result.issues.push({
      file: fileName,
      line: 1,
      column: 1,
      path: '',
      message: 'the file is empty: write an interface document (interface:, files:)',
    });
    return result;
  }

  const locate = (p: readonly PathSeg[], unknownKey?: string) => {
    const node = findNode(doc.contents, p, unknownKey);
    const offset = node?.range?.[0] ?? 0;
    return pos(offset);
  };

  const parsed = InterfaceDocSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const issues = flattenIssues(parsed.error.issues, []).map((issue) => {
      const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
      const segs = issue.path as PathSeg[];
      const at = sortKey(doc.contents, segs);
      return { issue, segs, unknownKey, at };
    });
    // By path, then rule: the sort is stable, and zod lists a field's own problem before the rules across fields.
    issues.sort((a, b) => compareSortKeys(a.at, b.at));
    for (const { issue, segs, unknownKey } of issues) {
      result.issues.push({
        file: fileName,
        ...locate(segs, unknownKey),
        path: formatPath(segs),
        message: describeIssue(issue, findNode(doc.contents, segs)),
      });
    }
    return result;
  }

  const d = parsed.data;
  result.interface = { name: d.interface, description: d.description ?? null, active: d.active ?? true };
  result.configs = toFileConfigs(d);
  d.files.forEach((f, i) => {
    result.idPositions[f.id] = locate(['files', i, 'id']);
  });
  return result;
}

/** One YAML text → its FileConfigs; ConfigFileInvalid listing every problem. */
export function parseConfigYaml(text: string, fileName: string): FileConfig[] {
  const r = checkConfigYaml(text, fileName);
  if (r.issues.length > 0) throw new ConfigFileInvalid(r.issues);
  return r.configs;
}

/** Expands folders to their *.yaml / *.yml files (recursively, sorted) and checks each; never throws for content. */
export async function readConfigFiles(paths: readonly string[]): Promise<ParsedConfigFile[]> {
  const files: string[] = [];
  const missing: ParsedConfigFile[] = [];
  for (const p of paths) {
    let st: Awaited<ReturnType<typeof fs.stat>>;
    try {
      st = await fs.stat(p);
    } catch {
      missing.push(fileProblem(p, 'no such file or folder'));
      continue;
    }
    if (st.isDirectory()) {
      const found = await yamlFilesUnder(p);
      if (found.length === 0) missing.push(fileProblem(p, 'the folder holds no .yaml or .yml files'));
      files.push(...found);
    } else files.push(p);
  }

  const results: ParsedConfigFile[] = [...missing];
  for (const f of [...new Set(files)]) {
    const st = await fs.stat(f);
    if (st.size > MAX_CONFIG_FILE_BYTES) {
      results.push(
        fileProblem(f, `the file is ${st.size} bytes; a config file is at most ${MAX_CONFIG_FILE_BYTES} bytes`),
      );
      continue;
    }
    results.push(checkConfigYaml(await fs.readFile(f, 'utf8'), f));
  }
  addDuplicateIdIssues(results);
  return results;
}

/**
 * Reads and validates every path (files or folders): the configs plus each
 * file's interface (description, active) for applyConfigs. ConfigFileInvalid
 * listing every problem across all files.
 */
export async function loadConfigFiles(paths: readonly string[]): Promise<LoadedConfigs> {
  const files = await readConfigFiles(paths);
  const issues = files.flatMap((f) => f.issues);
  if (issues.length > 0) throw new ConfigFileInvalid(issues);
  const interfaces = new Map<string, InterfaceInfo>();
  for (const f of files) if (f.interface) interfaces.set(f.interface.name, f.interface);
  return { files, interfaces: [...interfaces.values()], configs: files.flatMap((f) => f.configs) };
}

function fileProblem(file: string, message: string): ParsedConfigFile {
  return {
    file,
    interface: null,
    configs: [],
    idPositions: {},
    issues: [{ file, line: null, column: null, path: '', message }],
  };
}

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFilesUnder(full)));
    else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(full);
  }
  return out;
}

function addDuplicateIdIssues(results: ParsedConfigFile[]): void {
  const firstSeen = new Map<string, string>();
  for (const r of results) {
    for (const c of r.configs) {
      const first = firstSeen.get(c.id);
      if (first === undefined) {
        firstSeen.set(c.id, r.file);
        continue;
      }
      const at = r.idPositions[c.id];
      r.issues.push({
        file: r.file,
        line: at?.line ?? null,
        column: at?.column ?? null,
        path: 'id',
        message: `duplicate config id ${c.id}: also defined in ${first}; config ids are unique across all files`,
      });
    }
  }
}

// ------------------------------------------------------------------ issue mapping

type Issue = z.core.$ZodIssue;

/** Unions report every branch; keep the branch the author evidently meant. */
function flattenIssues(issues: readonly Issue[], prefix: readonly PathSeg[]): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const full = [...prefix, ...(issue.path as PathSeg[])];
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
      out.push({ ...issue, path: full } as Issue);
      continue;
    }
    const typeMismatch = (branch: readonly Issue[]) =>
      branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'));
    const plausible = issue.errors.filter((b) => !typeMismatch(b));
    if (plausible.length > 0) {
      const best = plausible.reduce((a, b) => (b.length < a.length ? b : a));
      out.push(...flattenIssues(best, full));
      continue;
    }
    const expected = issue.errors
      .flatMap((b) => b.filter((i) => i.path.length === 0))
      .map((i) =>
        i.code === 'invalid_type'
          ? i.expected
          : i.code === 'invalid_value'
            ? i.values.map((v) => JSON.stringify(v)).join(' or ')
            : '',
      )
      .filter((s) => s !== '');
    out.push({
      code: 'custom',
      path: full,
      input: issue.input,
      message: `expected ${[...new Set(expected)].join(' or ')}, got ${describeValue(issue.input)}`,
    } as Issue);
  }
  return out;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `the ${typeof v} ${String(v)}`;
}

function describeIssue(issue: Issue, node: Node | undefined): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return `required: expected ${issue.expected}`;
      let msg = `expected ${issue.expected}, got ${describeValue(issue.input)}`;
      // `type: 01` or `token: 527` parse as numbers; the fix is quoting.
      if (issue.expected === 'string' && typeof issue.input === 'number') {
        const source = isScalar(node) && typeof node.source === 'string' ? node.source : String(issue.input);
        msg += `: quote it, e.g. "${source}"`;
      }
      return msg;
    }
    case 'invalid_value':
      // A schema's own message for a known value (e.g. compression lzop) says why it is refused.
      if (issue.input === 'lzop' && issue.message.includes('lzop')) return issue.message;
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: check the spelling against sql/efi-config.schema.json`;
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string')
        return `expected at least ${issue.minimum} character${issue.minimum === 1 ? '' : 's'}`;
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${describeValue(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'array') return `expected at most ${issue.maximum} items`;
      if (issue.origin === 'string') return `expected at most ${issue.maximum} characters`;
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, got ${describeValue(issue.input)}`;
    case 'invalid_format':
      return `${issue.message}, got ${describeValue(issue.input)}`;
    default:
      return issue.message;
  }
}

/** The YAML node at `p`, or the deepest ancestor that exists (a missing key points at its mapping). */
function findNode(root: unknown, p: readonly PathSeg[], unknownKey?: string): Node | undefined {
  let node = root as Node | null | undefined;
  for (const seg of p) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === seg);
      next = pair?.value;
      if (pair && next == null) return (pair.key as Node) ?? node;
    } else if (isSeq(node) && typeof seg === 'number') next = node.items[seg];
    if (next == null) return node ?? undefined;
    node = next as Node;
  }
  if (unknownKey !== undefined && isMap(node)) {
    const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === unknownKey);
    if (pair && isScalar(pair.key)) return pair.key;
  }
  return node ?? undefined;
}
