import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../../cli/local/definition.ts';
import { applyResultPath } from '../../../cli/local/history-writer.ts';
import { ownerIsDead } from '../../../cli/local/recovery.ts';

const me = { host: 'h1', pid: 100, token: 'tok-me' };
const now = Date.parse('2026-12-01T12:00:00Z');
const beat = (ageMs: number) => new Date(now - ageMs).toISOString();
const row = (x: Partial<Parameters<typeof ownerIsDead>[0]>) => ({
  owner_host: 'h1',
  owner_pid: 200,
  owner_token: 'tok-other',
  heartbeat_at: beat(1000),
  started_at: beat(5000),
  ...x,
});

describe('a RUNNING execution whose process died is told apart from a live one', () => {
  const alive = (pids: number[]) => (pid: number) => pids.includes(pid);

  it('same host: dead when its pid is gone, alive while it runs', () => {
    expect(ownerIsDead(row({}), now, me, alive([]), 60_000)).toBe(true);
    expect(ownerIsDead(row({}), now, me, alive([200]), 60_000)).toBe(false);
  });

  it('same host, this pid under another token (a restarted container reusing the pid): dead', () => {
    expect(ownerIsDead(row({ owner_pid: 100 }), now, me, alive([100]), 60_000)).toBe(true);
  });

  it('this process itself is never dead', () => {
    expect(
      ownerIsDead(
        row({ owner_pid: 100, owner_token: 'tok-me', heartbeat_at: beat(10 ** 9) }),
        now,
        me,
        alive([]),
        60_000,
      ),
    ).toBe(false);
  });

  it('other host (a shared PostgreSQL config DB): dead once its heartbeat is stale', () => {
    expect(ownerIsDead(row({ owner_host: 'h2', heartbeat_at: beat(30_000) }), now, me, alive([]), 60_000)).toBe(false);
    expect(ownerIsDead(row({ owner_host: 'h2', heartbeat_at: beat(61_000) }), now, me, alive([]), 60_000)).toBe(true);
  });

  it('a row from before owners were recorded: dead once older than the stale limit', () => {
    const legacy = { owner_host: null, owner_pid: null, owner_token: null, heartbeat_at: null };
    expect(ownerIsDead(row({ ...legacy, started_at: beat(1000) }), now, me, alive([]), 60_000)).toBe(false);
    expect(ownerIsDead(row({ ...legacy, started_at: beat(120_000) }), now, me, alive([]), 60_000)).toBe(true);
  });
});

describe("a Task's exit is persisted with the output its ResultPath makes", () => {
  it('places the result at $.x, replaces the input without a ResultPath, keeps the input with null', () => {
    expect(applyResultPath({ run: 1 }, { ok: true }, '$.load')).toEqual({ run: 1, load: { ok: true } });
    expect(applyResultPath({ run: 1 }, { ok: true }, '$.a.b')).toEqual({ run: 1, a: { b: { ok: true } } });
    expect(applyResultPath({ run: 1 }, { ok: true }, undefined)).toEqual({ ok: true });
    expect(applyResultPath({ run: 1 }, { ok: true }, null)).toEqual({ run: 1 });
  });

  it('every Task state of the definition uses only those forms (no OutputPath, no ResultSelector)', () => {
    const def = loadDefinition();
    for (const [name, s] of Object.entries(def.States)) {
      if (s.Type !== 'Task') continue;
      const x = s as Record<string, unknown>;
      expect(x['OutputPath'], name).toBeUndefined();
      expect(x['ResultSelector'], name).toBeUndefined();
      const rp = x['ResultPath'];
      expect(rp === undefined || rp === null || /^\$(\.[A-Za-z_]\w*)*$/.test(String(rp)), name).toBe(true);
    }
  });
});
