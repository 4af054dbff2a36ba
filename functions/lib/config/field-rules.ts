import { z } from 'zod';

/**
 * Rules across several fields of an object schema, run even when other fields
 * of the object failed, so `efi config validate` reports every problem in one
 * run. zod skips an object's refinements once any field of it failed; a rule
 * here instead names the fields it reads and runs whenever none of those
 * failed (a rule on a field that failed would only restate that failure).
 *
 * A rule sees only the fields it declares: the value is projected to its
 * `reads`, so a rule that reads an undeclared field finds it absent on every
 * config, valid or not, and the tests of that rule show it.
 *
 * Read paths: `format.escape`; `split.records[*].lineage` (that field of every
 * element); `target?` (only whether it is set, whatever its value).
 */

type PathSeg = string | number;
type ReadSeg = string | typeof EVERY;
const EVERY = Symbol('every element');

export type AddIssue = (path: PathSeg[], message: string) => void;

export interface FieldRule<T> {
  /** The fields the rule reads; it runs only when none of them (nor anything inside them) failed. */
  readonly reads: readonly string[];
  readonly check: (value: T, add: AddIssue) => void;
}

interface Read {
  segs: ReadSeg[];
  presenceOnly: boolean;
}

/** What a presence read (`target?`) sees for a field that is set: not its value, which may be invalid. */
const PRESENT = Object.freeze({});

function parseRead(text: string): Read {
  const presenceOnly = text.endsWith('?');
  const body = presenceOnly ? text.slice(0, -1) : text;
  const segs: ReadSeg[] = [];
  for (const part of body.split('.')) {
    const m = /^([A-Za-z$_][\w$]*)((?:\[\*\])*)$/.exec(part);
    if (!m) throw new Error(`field rule: bad read path ${JSON.stringify(text)}`);
    segs.push(m[1]!);
    for (let i = 0; i < m[2]!.length / 3; i++) segs.push(EVERY);
  }
  return { segs, presenceOnly };
}

/**
 * Whether a failed path spoils a read: it lies inside the field read, or is the field or one of its
 * containers. A presence read is spoilt only by a failed container (the field's own value does not matter).
 */
function spoils(failed: readonly PathSeg[], read: Read): boolean {
  if (read.presenceOnly && failed.length >= read.segs.length) return false;
  const n = Math.min(read.segs.length, failed.length);
  for (let i = 0; i < n; i++) {
    const s = read.segs[i]!;
    if (s !== EVERY && s !== failed[i]) return false;
  }
  return true;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Copies the value at `segs` from `src` into `dst`, creating the containers on the way. */
function project(src: unknown, dst: Record<string, unknown> | unknown[], segs: readonly ReadSeg[], presence: boolean) {
  const [head, ...rest] = segs;
  if (head === undefined) return;
  if (head === EVERY) {
    if (!Array.isArray(src) || !Array.isArray(dst)) return;
    src.forEach((item, i) => {
      if (rest.length === 0) {
        dst[i] = presence ? (item == null ? dst[i] : (dst[i] ?? PRESENT)) : item;
        return;
      }
      if (dst[i] === item) return;
      dst[i] ??= Array.isArray(item) ? [] : {};
      project(item, dst[i] as Record<string, unknown> | unknown[], rest, presence);
    });
    return;
  }
  if (!isRecord(src) || Array.isArray(dst) || src[head] === undefined) return;
  const v = src[head];
  if (rest.length === 0) {
    if (!presence) dst[head] = v;
    else if (v !== null && dst[head] === undefined) dst[head] = PRESENT;
    return;
  }
  // Not an object (its own failure spoils the read), or already read whole by another of the rule's reads.
  if (typeof v !== 'object' || v === null || dst[head] === v) return;
  if (dst[head] === undefined || dst[head] === PRESENT) dst[head] = Array.isArray(v) ? [] : {};
  project(v, dst[head] as Record<string, unknown> | unknown[], rest, presence);
}

/** Marks the issues of field rules: a problem across fields, which fails none of them for the rules of an enclosing object. */
const FIELD_RULE = 'efiFieldRule';

/** The paths that failed so far; an unknown key fails itself, not the object that holds it. */
function failedPaths(issues: readonly z.core.$ZodRawIssue[]): PathSeg[][] {
  const out: PathSeg[][] = [];
  for (const issue of issues) {
    if (issue.code === 'custom' && issue.params?.[FIELD_RULE] === true) continue;
    const p = (issue.path ?? []) as PathSeg[];
    if (issue.code === 'unrecognized_keys') for (const k of issue.keys) out.push([...p, k]);
    else out.push(p);
  }
  return out;
}

/**
 * The check that runs `rules` on an object schema, each as soon as its fields are valid:
 * `schema.check(fieldRules(RULES))`. Issues come in rule order; each points at the path its rule names.
 */
export function fieldRules<T>(rules: readonly FieldRule<T>[]): z.core.$ZodCheck<T> {
  const compiled = rules.map((r) => ({ rule: r, reads: r.reads.map(parseRead) }));
  // Presence reads last, so a read of the same field's value wins over its presence marker.
  for (const c of compiled) c.reads.sort((a, b) => Number(a.presenceOnly) - Number(b.presenceOnly));
  return z.superRefine<T>(
    (value, ctx) => {
      const failed = failedPaths(ctx.issues);
      for (const { rule, reads } of compiled) {
        if (reads.some((r) => failed.some((p) => spoils(p, r)))) continue;
        const view: Record<string, unknown> = {};
        for (const r of reads) project(value, view, r.segs, r.presenceOnly);
        rule.check(view as T, (path, message) =>
          ctx.addIssue({ code: 'custom', path, message, params: { [FIELD_RULE]: true } }),
        );
      }
    },
    // Also past a field that failed its type (zod's default then skips refinements), never on a non-object.
    { when: (payload) => isRecord(payload.value) },
  );
}
