import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { FunctionSpec } from './function-catalog.ts';

/** The repository root (infra/lib/ is two levels down). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Local esbuild, never Docker. ESM for top-level await and smaller output; the
 * banner gives CJS dependencies (pg) the `require` they expect inside an ES module.
 */
export const BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.EXTERNAL,
  sourcesContent: false,
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  // The AWS SDK is bundled (pinned, tree-shaken) rather than taken from the runtime.
  // Never used in Lambda: PGlite is the local warehouse, pg-native an optional pg binding.
  externalModules: ['@electric-sql/pglite', '@electric-sql/pglite/*', 'pg-native'],
  // functions/lib/compose.ts and adapters/config-db/connect.ts test this to leave the local
  // adapters (folder store, PGlite, outbox) out of the Lambda bundles.
  define: { 'process.env.EFI_BUNDLE': JSON.stringify('lambda') },
};

/**
 * Per-function bundling: functions/lib/compose.ts tests these defines, so a
 * function's bundle holds only the AWS clients of the ports it uses (the
 * notifier's SNS/EventBridge clients only in notify and report-failure, the
 * Data API client only in the four warehouse functions).
 */
export function bundlingFor(spec: FunctionSpec): BundlingOptions {
  const on = (b: boolean) => JSON.stringify(b ? '1' : '0');
  return {
    ...BUNDLING,
    define: {
      ...BUNDLING.define,
      'process.env.EFI_BUNDLE_STORE': on(!!spec.needs.s3 || !!spec.needs.storageEnv),
      'process.env.EFI_BUNDLE_WAREHOUSE': on(!!spec.needs.warehouse),
      'process.env.EFI_BUNDLE_NOTIFIER': on(!!spec.needs.notifier),
    },
  };
}
