import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../cli/local/definition.ts';
import { FUNCTIONS } from '../../infra/lib/function-catalog.ts';
import { FUNCTION_FOLDERS, folderOfResource } from '../../statemachine/tasks.ts';

const def = loadDefinition();
const tasks = Object.entries(def.States).filter(([, s]) => s.Type === 'Task') as [
  string,
  { Resource: string; TimeoutSeconds?: number },
][];

describe('infra/lib/function-catalog.ts', () => {
  it('has one spec per function folder of statemachine/tasks.ts, with the placeholder the table gives it', () => {
    expect(FUNCTIONS.map((f) => f.folder)).toEqual([...FUNCTION_FOLDERS]);
    for (const f of FUNCTIONS) {
      if (f.placeholder) expect(folderOfResource(f.placeholder), f.folder).toBe(f.folder);
    }
    expect(FUNCTIONS.filter((f) => f.placeholder === null).map((f) => f.folder)).toEqual(['report-failure']);
    expect(new Set(FUNCTIONS.map((f) => f.id)).size).toBe(FUNCTIONS.length);
  });

  it("gives every Task state a TimeoutSeconds equal to its Lambda's timeout", () => {
    // Without it AWS waits up to a year for a Task, and aws-local-stepfunctions times it out at 60 s.
    for (const [name, s] of tasks) {
      const spec = FUNCTIONS.find((f) => f.folder === folderOfResource(s.Resource));
      expect(spec, `${name} → ${s.Resource}`).toBeDefined();
      expect(s.TimeoutSeconds, name).toBe(spec!.timeout.toSeconds());
    }
  });
});
