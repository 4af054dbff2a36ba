/**
 * Writes sql/efi-config.schema.json from the zod schema (functions/lib/config/schema.ts).
 * Run after changing the config format: `npx tsx scripts/gen-config-schema.ts`;
 * test/config/json-schema.test.ts fails while the committed file is stale.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../functions/lib/config/schema.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../sql/efi-config.schema.json', import.meta.url));

export function renderConfigSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  fs.writeFileSync(SCHEMA_PATH, renderConfigSchema());
  process.stdout.write(`wrote ${SCHEMA_PATH}\n`);
}
