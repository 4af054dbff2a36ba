import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigSchema, SCHEMA_PATH } from '../../scripts/gen-config-schema.ts';

describe('sql/efi-config.schema.json', () => {
  it('is up to date with functions/lib/config/schema.ts (run: npx tsx scripts/gen-config-schema.ts)', () => {
    expect(fs.readFileSync(SCHEMA_PATH, 'utf8')).toBe(renderConfigSchema());
  });

  it('documents the fields editors complete', () => {
    const schema = JSON.parse(renderConfigSchema());
    const file = schema.properties.files.items;
    expect(schema.required).toEqual(['interface', 'files']);
    expect(file.additionalProperties).toBe(false);
    for (const key of ['id', 'match', 'format', 'header', 'trailer', 'target', 'columns', 'lineage', 'load', 'split']) {
      expect(file.properties[key]?.description, key).toBeTruthy();
    }
    expect(file.properties.format.properties.layout.default).toBe('delimited');
  });
});
