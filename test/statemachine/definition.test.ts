import fs from 'node:fs';
import path from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../cli/local/definition.ts';
import { folderHandlers, taskHandlersByState } from '../../cli/local/handlers.ts';
import { createDeps } from '../../functions/lib/compose.ts';
import { REJECTED_ERROR_NAMES, TRANSIENT_ERROR_NAMES } from '../../functions/lib/errors.ts';
import { loadSettings } from '../../functions/lib/settings.ts';
import { EVENT_FUNCTIONS, FUNCTION_FOLDERS, folderOfResource, TASK_FUNCTIONS } from '../../statemachine/tasks.ts';

const def = loadDefinition();
type State = {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
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
const FOLDER_HANDLERS = folderHandlers(createDeps(loadSettings({ EFI_HOME: '/nonexistent/efi-definition-test' })));

describe('statemachine/efi.asl.json', () => {
  it('is valid ASL', () => {
    // asl-validator mutates its input: hand it a clone.
    const validate = aslValidator as unknown as (d: unknown) => { isValid: boolean; errors: unknown[] };
    const r = validate(structuredClone(def));
    expect(r.errors).toEqual([]);
    expect(r.isValid).toBe(true);
  });

  it('backs every Task Resource with a placeholder of statemachine/tasks.ts', () => {
    for (const [name, s] of tasks) {
      expect(s.Resource, `${name} Resource`).toMatch(/^\$\{\w+FunctionArn\}$/);
      expect(folderOfResource(s.Resource!), `${name}: ${s.Resource} in statemachine/tasks.ts`).toBeDefined();
    }
  });

  it('uses every placeholder of statemachine/tasks.ts, each once in the table', () => {
    const used = new Set(tasks.map(([, s]) => s.Resource));
    const placeholders = TASK_FUNCTIONS.map((t) => t.placeholder);
    expect(new Set(placeholders).size).toBe(placeholders.length);
    for (const p of placeholders) expect(used.has(`\${${p}}`), p).toBe(true);
  });

  it('names only function folders that exist, each with a handler and a local binding', () => {
    expect(new Set(FUNCTION_FOLDERS).size).toBe(FUNCTION_FOLDERS.length);
    for (const folder of FUNCTION_FOLDERS) {
      expect(
        fs.existsSync(path.join(import.meta.dirname, '../../functions', folder, 'handler.ts')),
        `functions/${folder}/handler.ts`,
      ).toBe(true);
      expect(FOLDER_HANDLERS[folder], `local handler for ${folder}`).toBeTypeOf('function');
    }
    // The folders beside functions/lib are exactly the table's.
    const onDisk = fs
      .readdirSync(path.join(import.meta.dirname, '../../functions'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'lib')
      .map((d) => d.name);
    expect(onDisk.sort()).toEqual([...FUNCTION_FOLDERS].sort());
    expect(EVENT_FUNCTIONS.map((e) => e.folder)).toEqual(['report-failure']);
  });

  it('binds each Task state locally to the handler of the folder its placeholder maps to', () => {
    const byState = taskHandlersByState(def, FOLDER_HANDLERS);
    expect(Object.keys(byState).sort()).toEqual(tasks.map(([n]) => n).sort());
    for (const [name, s] of tasks) expect(byState[name], name).toBe(FOLDER_HANDLERS[folderOfResource(s.Resource!)!]);
    expect(byState['ArchiveDuplicate']).toBe(FOLDER_HANDLERS.archive);
    expect(byState['RejectFile']).toBe(FOLDER_HANDLERS['reject-file']);
    const unknown = structuredClone(def);
    unknown.States['FetchConfig']!.Resource = 'arn:aws:lambda:elsewhere';
    expect(() => taskHandlersByState(unknown, FOLDER_HANDLERS)).toThrow(
      /FetchConfig: Resource arn:aws:lambda:elsewhere is not in/,
    );
  });

  it('bounds every Task with a TimeoutSeconds, and lets States.Timeout fail the execution (redrivable)', () => {
    for (const [name, s] of tasks) {
      expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
      // Neither retried nor caught: a timed-out Task is operational, so the run fails there and can be redriven.
      expect(
        (s.Retry ?? []).flatMap((r) => r.ErrorEquals),
        name,
      ).not.toContain('States.Timeout');
      expect(
        (s.Catch ?? []).flatMap((c) => c.ErrorEquals),
        name,
      ).not.toContain('States.Timeout');
    }
    // The whole execution is bounded too.
    expect(def['TimeoutSeconds']).toBe(86400);
  });

  it('backs off its statement waits: each Wait reads its length from the Check it loops on', () => {
    const waits = Object.entries(def.States).filter(([, s]) => s.Type === 'Wait');
    expect(waits.map(([n]) => n).sort()).toEqual(['WaitForLoad', 'WaitForTransform']);
    expect((def.States['WaitForLoad'] as { SecondsPath?: string }).SecondsPath).toBe('$.load.nextWaitSeconds');
    expect((def.States['WaitForTransform'] as { SecondsPath?: string }).SecondsPath).toBe(
      '$.transform.nextWaitSeconds',
    );
    for (const [, w] of waits) expect((w as { Seconds?: number }).Seconds).toBeUndefined();
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
