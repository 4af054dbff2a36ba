import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The repository root (infra/lib/ is two levels down). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

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
};
