// Bundles the efi CLI (cli/main.ts) into dist/cli/ as plain ES modules, so
// `efi` runs without a TypeScript compiler. Code splitting keeps each
// command's dynamic import() lazy: `efi --help` loads only main.js.
// npm packages stay external (loaded from node_modules at run time, only by the
// commands that import them): PGlite finds its wasm/data files next to its own
// module, and the AWS SDK is never loaded by local commands. The pure-JS
// packages below are bundled instead: kysely alone is 262 ES modules, which
// Node resolves and compiles one by one (120-300 ms of every efi runs here);
// bundled, the chunk that needs it loads in ~10 ms.
// Output sits two folders below the repository, like the sources it replaces,
// so `new URL('../../samples', import.meta.url)` still finds the repository's
// samples/ and statemachine/.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const BUNDLED = new Set(['kysely', 'zod', 'yaml', 'picocolors', 'fzstd']);
const packageOf = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

/** Every bare import stays external except the packages in BUNDLED. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED.has(packageOf(args.path)) ? undefined : { path: args.path, external: true },
    );
  },
};

rmSync('dist/cli', { recursive: true, force: true });
await build({
  entryPoints: { main: 'cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [externalPackages],
  // Bundled CommonJS (yaml's node build, picocolors) calls require() for Node built-ins.
  banner: {
    js: "import { createRequire as __efiCreateRequire } from 'node:module';\nconst require = __efiCreateRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  // Chunks next to main.js: two folders below the repository, as the sources are.
  chunkNames: '[name]-[hash]',
  logLevel: 'warning',
});
