import fs from 'node:fs';
import path from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../cli/local/definition.ts';
import { taskHandlers } from '../../cli/local/handlers.ts';
import { createDeps } from '../../functions/lib/compose.ts';
import { REJECTED_ERROR_NAMES, TRANSIENT_ERROR_NAMES } from '../../functions/lib/errors.ts';
import { loadSettings } from '../../functions/lib/settings.ts';

const def = loadDefinition();
type State = {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: { ErrorEquals: string[] }[];
  Parameters?: Record<string, unknown>;
};
const states = def.States as Record<string, State>;
const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
// Deps are lazy: building the handlers opens nothing.
const TASK_HANDLERS = taskHandlers(createDeps(loadSettings({ EFI_HOME: '/nonexistent/efi-definition-test' })));

describe('statemachine/efi.asl.json', () => {
  it('is valid ASL', () => {
    // asl-validator mutates its input: hand it a clone.
    const validate = aslValidator as unknown as (d: unknown) => { isValid: boolean; errors: unknown[] };
    const r = validate(structuredClone(def));
    expect(r.errors).toEqual([]);
    expect(r.isValid).toBe(true);
  });

  it('maps every Task to a Lambda placeholder backed by a handler folder, and to a local handler', () => {
    for (const [name, s] of tasks) {
      const m = /^\$\{(\w+)FunctionArn\}$/.exec(s.Resource ?? '');
      expect(m, `${name} Resource`).not.toBeNull();
      const folder = m![1]!.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
      expect(
        fs.existsSync(path.join(import.meta.dirname, '../../functions', folder, 'handler.ts')),
        `${name} → functions/${folder}`,
      ).toBe(true);
      expect(TASK_HANDLERS[name], `local handler for ${name}`).toBeTypeOf('function');
    }
  });

  it('retries transient errors on every Task', () => {
    for (const [name, s] of tasks) {
      const names = (s.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect(names, name).toEqual(expect.arrayContaining([...TRANSIENT_ERROR_NAMES]));
      expect(names, `${name} must not retry everything`).not.toContain('States.ALL');
    }
  });

  it('routes exactly the rejected-content errors to the rejection path, and lets operational errors fail the execution', () => {
    const catching = tasks.filter(([, s]) => s.Catch);
    expect(catching.map(([n]) => n).sort()).toEqual(['CheckLoad', 'Preprocess', 'ValidateFile']);
    for (const [, s] of catching) {
      expect(s.Catch).toHaveLength(1);
      expect([...s.Catch![0]!.ErrorEquals].sort()).toEqual([...REJECTED_ERROR_NAMES].sort());
      expect(s.Catch![0]!.Next).toBe('RejectFile');
    }
    expect(states['FileRejected']?.Type).toBe('Fail');
  });

  it('reaches every state from StartAt', () => {
    const seen = new Set<string>();
    const visit = (n: string) => {
      if (seen.has(n)) return;
      seen.add(n);
      const s = states[n]!;
      for (const next of [
        s.Next,
        s.Default,
        ...(s.Choices ?? []).map((c) => c.Next),
        ...(s.Catch ?? []).map((c) => c.Next),
      ]) {
        if (next) visit(next);
      }
    };
    visit(def.StartAt);
    expect([...seen].sort()).toEqual(Object.keys(states).sort());
  });

  it('passes the redrive count to the states that must behave differently on a redrive', () => {
    for (const n of ['SubmitLoad', 'CheckLoad', 'SubmitTransform', 'CheckTransform', 'Audit', 'Notify']) {
      expect(states[n]?.Parameters?.['redriveCount.$'], n).toBe('$$.Execution.RedriveCount');
    }
  });
});
