// Bundles the efi CLI (cli/main.ts) into dist/cli/ as plain ES modules, so
// `efi` runs without a TypeScript compiler. Code splitting keeps each
// command's dynamic import() lazy: `efi --help` loads only main.js.
// npm packages stay external (loaded from node_modules at run time, only by the
// commands that import them): PGlite finds its wasm/data files next to its own
// module, and the AWS SDK is never loaded by local commands.
// Output sits two folders below the repository, like the sources it replaces,
// so `new URL('../../samples', import.meta.url)` still finds the repository's
// samples/ and statemachine/.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/cli', { recursive: true, force: true });
await build({
  entryPoints: { main: 'cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  // Chunks next to main.js: two folders below the repository, as the sources are.
  chunkNames: '[name]-[hash]',
  logLevel: 'warning',
});
