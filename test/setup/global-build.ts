import { execFileSync } from 'node:child_process';

/**
 * Builds the compiled CLI (dist/cli, what bin/efi.js runs) once, before any
 * test file starts. Many files spawn bin/efi.js in parallel; a build inside
 * one of them wipes dist/cli under the others (ERR_MODULE_NOT_FOUND), and a
 * stale dist would test yesterday's code.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: 'inherit' });
}
