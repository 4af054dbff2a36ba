import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from '../../functions/lib/config/load-yaml.ts';

const doc = (lineage: string) => `interface: feed
files:
  - id: feed.daily
    match: { token: "527" }
    target: { schema: stage, table: daily }
    columns: [a]
    lineage: ${lineage}
`;

describe('lineage sourceFileAs', () => {
  it("defaults to the s3:// URI and takes basename for the original framework's file_name", () => {
    expect(parseConfigYaml(doc('{ sourceFile: src }'), 'x.yaml')[0]!.records[0]!.lineage).toEqual({
      sourceFile: 'src',
      runId: 'efi_run_id',
      loadedAt: 'efi_loaded_at',
    });
    expect(
      parseConfigYaml(doc('{ sourceFile: file_name, sourceFileAs: basename }'), 'x.yaml')[0]!.records[0]!.lineage,
    ).toMatchObject({ sourceFile: 'file_name', sourceFileAs: 'basename' });
  });

  it('refuses any other form', () => {
    expect(() => parseConfigYaml(doc('{ sourceFileAs: name }'), 'x.yaml')).toThrow(/sourceFileAs/);
  });
});
