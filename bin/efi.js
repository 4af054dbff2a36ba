#!/usr/bin/env node
// Runs the compiled CLI (dist/cli/main.js, built by `npm run build`, which
// `npm ci` runs through the prepare script). Without the bundle (a checkout
// that skipped the build), falls back to the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli/main.js', import.meta.url);
let main;
if (existsSync(bundle) && process.env.EFI_CLI_FROM_SOURCE !== '1') {
  ({ main } = await import(bundle.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
