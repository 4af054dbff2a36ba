import type { FileConfig } from './model.ts';

/**
 * What applying a set of configs would change, field by field: pure, over the
 * normalised FileConfig (the shape the config database stores), so the diff
 * names the fields a person wrote in YAML (`format.delimiter`,
 * `records[0].columns[2].name`). Used by `efi config diff` and printed by
 * `efi config apply`.
 */

export interface FieldChange {
  /** Dotted path into FileConfig; array elements of objects by index. */
  path: string;
  /** undefined = the field was absent. */
  before: unknown;
  after: unknown;
}

export interface StoredForDiff {
  config: FileConfig;
  version: number;
  checksum: string;
}

export interface InterfaceForDiff {
  name: string;
  description: string | null;
  active: boolean;
}

export interface ConfigDiff {
  created: { id: string; interface: string }[];
  updated: { id: string; version: number; changes: FieldChange[] }[];
  unchanged: string[];
  /**
   * Stored configs of the interfaces these files describe that the files no
   * longer contain: apply leaves them as they are.
   */
  notInFiles: string[];
  interfaces: { name: string; created: boolean; changes: FieldChange[] }[];
}

/**
 * @example
 * diffConfigs([changed], stored, { checksum: configChecksum })
 * // { updated: [{ id: 'sales.daily', version: 1, changes: [{ path: 'format.delimiter', before: ',', after: '|' }] }], ... }
 */
export function diffConfigs(
  files: readonly FileConfig[],
  stored: readonly StoredForDiff[],
  opts: {
    checksum: (c: FileConfig) => string;
    interfaces?: readonly InterfaceForDiff[];
    storedInterfaces?: readonly InterfaceForDiff[];
  },
): ConfigDiff {
  const byId = new Map(stored.map((s) => [s.config.id, s]));
  const diff: ConfigDiff = { created: [], updated: [], unchanged: [], notInFiles: [], interfaces: [] };
  for (const c of files) {
    const s = byId.get(c.id);
    if (!s) diff.created.push({ id: c.id, interface: c.interface });
    else if (s.checksum === opts.checksum(c)) diff.unchanged.push(c.id);
    else diff.updated.push({ id: c.id, version: s.version, changes: diffValues(s.config, c) });
  }
  const ids = new Set(files.map((c) => c.id));
  const names = new Set(files.map((c) => c.interface));
  diff.notInFiles = stored
    .filter((s) => names.has(s.config.interface) && !ids.has(s.config.id))
    .map((s) => s.config.id);
  const before = new Map((opts.storedInterfaces ?? []).map((i) => [i.name, i]));
  for (const i of opts.interfaces ?? []) {
    const old = before.get(i.name);
    const changes = diffValues(old ? { description: old.description, active: old.active } : {}, {
      description: i.description,
      active: i.active,
    });
    if (!old || changes.length > 0) diff.interfaces.push({ name: i.name, created: !old, changes: old ? changes : [] });
  }
  return diff;
}

/** Field-by-field differences of two JSON values; arrays of scalars compare as one value. */
export function diffValues(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (same(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    // In the order of the new config (the FileConfig shape), not the stored jsonb order.
    const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
    return keys.flatMap((k) => diffValues(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && [...before, ...after].some((v) => isObject(v))) {
    const n = Math.max(before.length, after.length);
    const out: FieldChange[] = [];
    for (let i = 0; i < n; i++) out.push(...diffValues(before[i], after[i], `${path}[${i}]`));
    return out;
  }
  return [{ path, before, after }];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (isObject(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sorted(v[k])]),
    );
  return v;
}

/** `  format.delimiter: "," → "|"` lines, for people. */
export function formatChange(c: FieldChange): string {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  return `${c.path}: ${show(c.before)} → ${show(c.after)}`;
}
