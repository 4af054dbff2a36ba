import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The import rule (docs/architecture.md, "Layers"): every import points down.
 *
 *   handlers (functions/<folder>/, functions/lib/handler.ts) → steps, compose → ports, contract, records, config
 *   adapters (functions/lib/adapters/<engine>/)             → ports, contract, records, config (and other adapters)
 *   steps, records, ports, contract, config, sql             never import an adapter, compose.ts, a handler,
 *                                                            or a database driver / SDK
 *   functions/                                               never imports cli/, infra/ or test/
 *   cli/history/                                             pure: only cli/model.ts and itself
 *   records → ports                                          types only (`import type`); ports never import records
 *   sql/migrations/                                          only adapters (config-db/migrate.ts) import it
 *
 * Every .ts under functions/ and cli/ is parsed (static imports, `export ... from`,
 * `import type` and dynamic `import('...')` with a literal specifier).
 */

const ROOT = path.resolve(import.meta.dirname, '../..');

type Layer =
  | 'handler'
  | 'compose'
  | 'steps'
  | 'adapters'
  | 'ports'
  | 'contract'
  | 'records'
  | 'config'
  | 'sql'
  | 'shared'
  | 'cli'
  | 'cli-history'
  | 'cli-model'
  | 'migrations'
  | 'other';

/** Layer of a repository-relative path. */
function layerOf(rel: string): Layer {
  if (rel.startsWith('cli/history/')) return 'cli-history';
  if (rel === 'cli/model.ts') return 'cli-model';
  // sql/migrations: the config database's schema, applied by adapters/config-db/migrate.ts.
  if (rel.startsWith('sql/')) return 'migrations';
  if (rel.startsWith('cli/')) return 'cli';
  if (rel === 'functions/lib/compose.ts') return 'compose';
  if (rel === 'functions/lib/handler.ts') return 'handler';
  // errors.ts and settings.ts: the error classes and the environment's settings, below every layer.
  if (rel === 'functions/lib/errors.ts' || rel === 'functions/lib/settings.ts') return 'shared';
  const lib = /^functions\/lib\/([^/]+)\//.exec(rel);
  if (lib) {
    const folder = lib[1]!;
    if (['steps', 'adapters', 'ports', 'contract', 'records', 'config', 'sql'].includes(folder)) return folder as Layer;
    return 'other';
  }
  if (/^functions\/[^/]+\//.test(rel)) return 'handler';
  return 'other';
}

const PURE: Layer[] = ['ports', 'contract', 'records', 'config', 'sql', 'shared'];

/** Which layers each layer may import (its own included). */
const MAY_IMPORT: Record<Layer, readonly Layer[] | 'any'> = {
  handler: ['handler', 'steps', 'compose', ...PURE],
  compose: ['compose', 'steps', 'adapters', ...PURE],
  steps: ['steps', ...PURE],
  adapters: ['adapters', 'migrations', ...PURE],
  ports: PURE,
  contract: PURE,
  records: PURE,
  config: PURE,
  sql: PURE,
  shared: PURE,
  // The CLI is the local composition root: it may use any layer of functions/.
  cli: 'any',
  'cli-history': ['cli-history', 'cli-model'],
  'cli-model': ['cli-model', ...PURE],
  migrations: ['migrations'],
  other: 'any',
};

/** Database drivers and SDKs: only adapters, compose.ts and the CLI may import them. */
const DRIVER = /^(kysely|pg|pg-copy-streams|@electric-sql\/pglite|@aws-sdk\/[^/]+|aws-local-stepfunctions)(\/.*)?$/;
const MAY_IMPORT_DRIVERS = new Set<Layer>(['adapters', 'compose', 'cli', 'other']);

function tsFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((d) => {
    const rel = `${dir}/${d.name}`;
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : tsFiles(rel);
    return d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Every import specifier of a file: static, re-exports, type-only and literal dynamic imports. */
function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Whether every import of `spec` in `source` is `import type`. */
function isTypeOnly(source: string, spec: string): boolean {
  const quoted = spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const all = source.match(new RegExp(`(import|export)[^;]*?from\\s*['"]${quoted}['"]`, 'g')) ?? [];
  return all.length > 0 && all.every((m) => /^(import|export)\s+type\s/.test(m));
}

/** The imports of `source` (the text of the file at `rel`) that break the rule, as `file → import`. */
function violationsOf(rel: string, source = fs.readFileSync(path.join(ROOT, rel), 'utf8')): string[] {
  const from = layerOf(rel);
  const out: string[] = [];
  for (const spec of importsOf(source)) {
    if (spec.startsWith('.')) {
      const target = path
        .relative(ROOT, path.resolve(ROOT, path.dirname(rel), spec))
        .split(path.sep)
        .join('/');
      if (rel.startsWith('functions/') && /^(cli|infra|test|bench|scripts)\//.test(target)) {
        out.push(`${rel} → ${spec}`);
        continue;
      }
      const allowed = MAY_IMPORT[from];
      const to = layerOf(target);
      if (allowed !== 'any' && !allowed.includes(to)) out.push(`${rel} → ${spec}`);
      // records and ports are peers: records may name a port's types (the store it reads), never its code,
      // and ports never import records, so the two never form a loop.
      else if (from === 'records' && to === 'ports' && !isTypeOnly(source, spec)) out.push(`${rel} → ${spec}`);
      else if (from === 'ports' && to === 'records') out.push(`${rel} → ${spec}`);
    } else if (DRIVER.test(spec) && !MAY_IMPORT_DRIVERS.has(from)) {
      out.push(`${rel} → ${spec}`);
    }
  }
  return out;
}

const FILES = [...tsFiles('functions'), ...tsFiles('cli')];

/** Whether a file at `rel` with this text would break the rule: checks the rule itself. */
const wouldViolate = (rel: string, source: string) => violationsOf(rel, source).length > 0;

describe('the import rule', () => {
  it('finds the files and their imports, dynamic ones too', () => {
    expect(FILES.length).toBeGreaterThan(50);
    expect(importsOf("import type { A } from './a.ts';\nexport * from './b.ts';\nawait import('./c.ts');")).toEqual([
      './a.ts',
      './b.ts',
      './c.ts',
    ]);
  });

  it('catches a step importing an adapter, compose.ts or a driver, and a record importing a step', () => {
    expect(wouldViolate('functions/lib/steps/x.ts', "import '../adapters/s3/object-store-s3.ts';")).toBe(true);
    expect(wouldViolate('functions/lib/steps/x.ts', "await import('../compose.ts');")).toBe(true);
    expect(wouldViolate('functions/lib/steps/x.ts', "import type { Kysely } from 'kysely';")).toBe(true);
    expect(wouldViolate('functions/lib/ports/x.ts', "import { S3Client } from '@aws-sdk/client-s3';")).toBe(true);
    expect(wouldViolate('functions/lib/records/x.ts', "import '../steps/validate-file.ts';")).toBe(true);
    expect(wouldViolate('functions/lib/adapters/s3/x.ts', "import '../../steps/archive.ts';")).toBe(true);
    expect(wouldViolate('functions/archive/handler.ts', "import '../lib/adapters/s3/object-store-s3.ts';")).toBe(true);
    expect(wouldViolate('cli/history/x.ts', "import '../local/runner.ts';")).toBe(true);
    expect(wouldViolate('functions/lib/records/x.ts', "import { x } from '../ports/object-store.ts';")).toBe(true);
    expect(wouldViolate('functions/lib/ports/x.ts', "import type { X } from '../records/fields.ts';")).toBe(true);
    expect(
      wouldViolate('functions/lib/records/x.ts', "import type { ObjectStore } from '../ports/object-store.ts';"),
    ).toBe(false);
    // ...and lets the arrows that point down through.
    expect(wouldViolate('functions/lib/steps/x.ts', "import '../ports/warehouse.ts';\nimport 'zod/mini';")).toBe(false);
    expect(
      wouldViolate('functions/lib/adapters/s3/x.ts', "import '@aws-sdk/client-s3';\nimport '../../records/fields.ts';"),
    ).toBe(false);
    expect(
      wouldViolate('functions/archive/handler.ts', "import '../lib/steps/archive.ts';\nimport '../lib/compose.ts';"),
    ).toBe(false);
  });

  it('knows every layer: each file of functions/lib sits in a named layer', () => {
    const unplaced = FILES.filter((f) => f.startsWith('functions/') && layerOf(f) === 'other');
    expect(unplaced).toEqual([]);
  });

  it('every import points down (file → import)', () => {
    expect(FILES.flatMap((f) => violationsOf(f))).toEqual([]);
  });
});
