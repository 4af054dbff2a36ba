import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type IngestResult, ingestFile } from '../../../cli/commands/ingest.ts';
import { listFolder, StabilityRule, watchLoop } from '../../../cli/commands/watch-folder.ts';
import type { CliContext } from '../../../cli/context.ts';
import { createHarness, type Harness, SAMPLES } from '../../e2e/harness.ts';

/**
 * `efi watch` (issue 8, D10): the loop's polls are driven by the test through
 * `nextPoll`/`onPoll`, never by time, so "two polls" is exactly two polls.
 */

/** Holds the watcher between polls until the test says tick. */
class Polls {
  private wake: (() => void) | null = null;
  private done = 0;
  private waiters: { n: number; resolve: () => void }[] = [];
  readonly nextPoll = (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      this.wake = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  readonly onPoll = (n: number) => {
    this.done = n;
    for (const w of this.waiters.filter((w) => w.n <= n)) w.resolve();
    this.waiters = this.waiters.filter((w) => w.n > n);
  };
  /** Resolves once the loop has finished poll `n` (taken its files). */
  polled(n: number): Promise<void> {
    return n <= this.done ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
  /** Lets the loop make one more poll and waits until that poll's files are taken. */
  async tick(): Promise<void> {
    const next = this.polled(this.done + 1);
    const wake = this.wake;
    this.wake = null;
    wake?.();
    await next;
  }
}

describe('StabilityRule', () => {
  it('takes a file once its size and mtime are the same on two polls, and each version once', () => {
    const rule = new StabilityRule();
    const f = (size: number, mtimeMs: number) => [{ file: '/w/a.csv', size, mtimeMs }];
    expect(rule.ready(f(10, 1))).toEqual([]);
    expect(rule.ready(f(20, 2))).toEqual([]); // still growing
    expect(rule.ready(f(20, 2))).toEqual(['/w/a.csv']);
    expect(rule.ready(f(20, 2))).toEqual([]); // taken already
    expect(rule.ready(f(20, 3))).toEqual([]); // rewritten: wait for it to settle again
    expect(rule.ready(f(20, 3))).toEqual(['/w/a.csv']);
    expect(rule.ready(f(5, 9), true)).toEqual(['/w/a.csv']); // --once: what is there now
  });
});

describe('the watch loop on a folder', () => {
  let dir: string;
  let stop: AbortController;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-watch-'));
    stop = new AbortController();
  });
  afterEach(() => {
    stop.abort();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function start(take: (file: string) => Promise<string>) {
    const polls = new Polls();
    const refused: string[] = [];
    const errors: string[] = [];
    const loop = watchLoop<string>({
      dir,
      take,
      failed: (r) => r === 'FAILED',
      signal: stop.signal,
      nextPoll: polls.nextPoll,
      onPoll: polls.onPoll,
      onRefused: (r) => refused.push(r.reason),
      onError: (file, e) => errors.push(`${path.basename(file)}: ${(e as Error).message}`),
    });
    return { polls, loop, refused, errors };
  }

  it('does not take a growing file until it is stable', async () => {
    const taken: string[] = [];
    const w = start(async (file) => {
      taken.push(`${path.basename(file)}:${fs.readFileSync(file, 'utf8')}`);
      return 'FINISHED';
    });
    await w.polls.polled(1);
    fs.writeFileSync(path.join(dir, 'a.csv'), 'half');
    await w.polls.tick();
    fs.appendFileSync(path.join(dir, 'a.csv'), ',rest');
    await w.polls.tick();
    expect(taken).toEqual([]);
    await w.polls.tick();
    expect(taken).toEqual(['a.csv:half,rest']);
    await w.polls.tick();
    expect(taken).toHaveLength(1);
    stop.abort();
    expect((await w.loop).results).toEqual(['FINISHED']);
  });

  it('refuses symbolic links, naming them, whatever they point at, and never reads through them', async () => {
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd.csv'));
    fs.symlinkSync(path.join(dir, 'sub'), path.join(dir, 'folder.csv'));
    fs.symlinkSync(path.join(dir, 'missing'), path.join(dir, 'dangling.csv'));
    const taken: string[] = [];
    const w = start(async (file) => {
      taken.push(file);
      return 'FINISHED';
    });
    await w.polls.polled(1);
    await w.polls.tick();
    await w.polls.tick();
    expect(taken).toEqual([]);
    expect(w.refused).toHaveLength(3); // once each, not once per poll
    expect(w.refused.find((r) => r.includes('passwd.csv'))).toMatch(/symbolic link to a file \(-> \/etc\/passwd\)/);
    expect(w.refused.find((r) => r.includes('folder.csv'))).toMatch(/symbolic link to a folder/);
    expect(w.refused.find((r) => r.includes('dangling.csv'))).toMatch(/to nothing \(a dangling link\)/);
    stop.abort();
    expect((await w.loop).refused).toBe(3);
    expect(listFolder(dir).files).toEqual([]);
  });

  it('goes on after a file whose take throws, and stops when aborted', async () => {
    const w = start(async (file) => {
      if (file.endsWith('bad.csv')) throw new Error('disk on fire');
      return 'FINISHED';
    });
    await w.polls.polled(1);
    fs.writeFileSync(path.join(dir, 'bad.csv'), 'x');
    await w.polls.tick();
    await w.polls.tick();
    fs.writeFileSync(path.join(dir, 'good.csv'), 'y');
    await w.polls.tick();
    await w.polls.tick();
    stop.abort();
    const summary = await w.loop;
    expect(w.errors).toEqual(['bad.csv: disk on fire']);
    expect(summary).toMatchObject({ results: ['FINISHED'], errors: 1 });
  });
});

describe('a live watch ingesting into the embedded warehouse', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await createHarness('pglite', null);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efi-watch-live-'));
  });
  afterAll(async () => {
    await h?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads files dropped while it runs, survives a bad one, refuses a link to /etc/passwd', async () => {
    const ctx: CliContext = { settings: h.rt.settings, json: true, tty: false, out: () => {}, err: () => {} };
    const polls = new Polls();
    const stop = new AbortController();
    const refused: string[] = [];
    const loop = watchLoop<IngestResult>({
      dir,
      take: (file) => ingestFile(h.rt, h.runner, ctx, file, { prefix: '', reload: false }),
      failed: (r) => r.status !== 'FINISHED' && r.status !== 'SKIPPED',
      signal: stop.signal,
      nextPoll: polls.nextPoll,
      onPoll: polls.onPoll,
      onRefused: (r) => refused.push(r.file),
    });
    await polls.polled(1);
    fs.copyFileSync(path.join(SAMPLES, 'files', 'flavors_20261122.csv'), path.join(dir, 'flavors_20261122.csv'));
    fs.writeFileSync(path.join(dir, 'nobody_expects_20261122.csv'), 'a,b\n1,2\n');
    fs.symlinkSync('/etc/passwd', path.join(dir, 'members_20261122.csv'));
    await polls.tick();
    await polls.tick();
    fs.copyFileSync(path.join(SAMPLES, 'files', 'sales_pos_20261121.csv'), path.join(dir, 'sales_pos_20261121.csv'));
    await polls.tick();
    await polls.tick();
    stop.abort();
    const summary = await loop;
    const byFile = Object.fromEntries(summary.results.map((r) => [path.basename(r.file), r.status]));
    expect(byFile).toEqual({
      'flavors_20261122.csv': 'FINISHED',
      'nobody_expects_20261122.csv': 'FAILED',
      'sales_pos_20261121.csv': 'FINISHED',
    });
    expect(summary.failed).toBe(1);
    expect(refused).toEqual([path.join(dir, 'members_20261122.csv')]);
    // The link was never read: no run took it.
    expect(summary.results.map((r) => path.basename(r.file))).not.toContain('members_20261122.csv');
  });
});
