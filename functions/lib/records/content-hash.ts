import { createHash } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * The SHA-256 of a file's stored bytes (its content identity), fed chunk by
 * chunk in order. On a machine with more than one core and a file worth it,
 * the hashing runs in a worker thread while the caller scans the same bytes:
 * each chunk is copied once, into blocks that travel to the worker and back. The digest is the same either way.
 */
export interface ContentHasher {
  /** The next bytes; a returned promise asks the caller to wait before more (too many bytes in flight). */
  update(chunk: Buffer): undefined | Promise<void>;
  /** The hex digest of every byte given, once all of them are hashed. */
  digest(): Promise<string>;
  /** Drops the hash (the pass failed): no digest follows. */
  discard(): void;
}

/** Files smaller than this are hashed inline: a worker's round trips cost more than they save. */
export const WORKER_HASH_MIN_BYTES = 8 * 1024 * 1024;

/** Bytes handed to the worker and not yet hashed before `update` asks the caller to wait. */
const MAX_IN_FLIGHT = 16 * 1024 * 1024;

export function contentHasher(expectedBytes: number, opts: { worker?: boolean } = {}): ContentHasher {
  const useWorker = opts.worker ?? (expectedBytes >= WORKER_HASH_MIN_BYTES && os.availableParallelism() > 1);
  return useWorker ? workerHasher() : inlineHasher();
}

export function inlineHasher(): ContentHasher {
  const hash = createHash('sha256');
  return {
    update(chunk) {
      hash.update(chunk);
      return undefined;
    },
    digest: async () => hash.digest('hex'),
    discard() {},
  };
}

// Plain CommonJS run by `new Worker(..., { eval: true })`: no file to find next to a bundle.
// Each block goes back to its sender once hashed, to be filled again.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  let h = hashes.get(m.id);
  if (!h) { h = createHash('sha256'); hashes.set(m.id, h); }
  if (m.bytes) {
    h.update(m.bytes.subarray(0, m.length));
    parentPort.postMessage({ id: m.id, hashed: m.length, bytes: m.bytes }, [m.bytes.buffer]);
  }
  if (m.end) { hashes.delete(m.id); parentPort.postMessage({ id: m.id, digest: m.discard ? null : h.digest('hex') }); }
});`;

/**
 * Bytes per message to the worker. Chunks are gathered into blocks of this
 * size that go back and forth: a hash allocates at most the blocks in flight,
 * where a new copy per chunk left tens of MB of dead buffers for the two
 * isolates to collect (peak RSS of a 1 GB validate: 200 MB).
 */
const BLOCK_BYTES = 1024 * 1024;

interface Pending {
  inFlight: number;
  /** Blocks back from the worker, to fill again. */
  free: Uint8Array<ArrayBuffer>[];
  wake: (() => void) | null;
  done: { resolve: (hex: string) => void; reject: (e: Error) => void } | null;
  fail: (e: Error) => void;
}

let shared: { worker: Worker; pending: Map<number, Pending> } | null = null;
let nextId = 0;

/** The process's hashing worker, started on first use; referenced only while a hash is pending. */
function hashWorker(): { worker: Worker; pending: Map<number, Pending> } {
  if (shared) return shared;
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  const pending = new Map<number, Pending>();
  const state = { worker, pending };
  const failAll = (e: Error) => {
    if (shared === state) shared = null;
    for (const p of pending.values()) p.fail(e);
    pending.clear();
  };
  worker.on(
    'message',
    (m: { id: number; hashed?: number; bytes?: Uint8Array<ArrayBuffer>; digest?: string | null }) => {
      const p = pending.get(m.id);
      if (!p) return;
      if (m.hashed !== undefined) {
        p.inFlight -= m.hashed;
        if (m.bytes) p.free.push(m.bytes);
        if (p.wake && p.inFlight <= MAX_IN_FLIGHT / 2) {
          const wake = p.wake;
          p.wake = null;
          wake();
        }
      }
      if (m.digest !== undefined) {
        pending.delete(m.id);
        if (pending.size === 0) worker.unref();
        if (m.digest !== null) p.done?.resolve(m.digest);
      }
    },
  );
  worker.on('error', (e) => failAll(e));
  worker.on('exit', (code) => failAll(new Error(`the content hashing worker exited (code ${code})`)));
  worker.unref();
  shared = state;
  return state;
}

/** The hashing worker if one runs (a test seam: a test stops it to see a hash fail). */
export function currentHashWorker(): Worker | null {
  return shared?.worker ?? null;
}

export function workerHasher(): ContentHasher {
  const { worker, pending } = hashWorker();
  const id = ++nextId;
  let failure: Error | null = null;
  let ended = false;
  const p: Pending = {
    inFlight: 0,
    free: [],
    wake: null,
    done: null,
    fail(e) {
      failure = e;
      const wake = p.wake;
      p.wake = null;
      wake?.();
      p.done?.reject(e);
    },
  };
  if (pending.size === 0) worker.ref();
  pending.set(id, p);
  // The block being filled: a chunk may be a view of a larger pool, so its bytes are copied.
  let block: Uint8Array<ArrayBuffer> | null = null;
  let filled = 0;
  const send = () => {
    if (!block || filled === 0) return;
    // (the transfer detaches `block` until the worker sends it back)
    worker.postMessage({ id, bytes: block, length: filled }, [block.buffer]);
    p.inFlight += filled;
    block = null;
    filled = 0;
  };
  return {
    update(chunk) {
      if (failure) throw failure;
      for (let at = 0; at < chunk.byteLength; ) {
        block ??= p.free.pop() ?? new Uint8Array(BLOCK_BYTES);
        const n = Math.min(chunk.byteLength - at, BLOCK_BYTES - filled);
        block.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === BLOCK_BYTES) send();
      }
      if (p.inFlight <= MAX_IN_FLIGHT) return undefined;
      return new Promise<void>((resolve) => {
        p.wake = resolve;
      }).then(() => {
        if (failure) throw failure;
      });
    },
    digest() {
      if (failure) return Promise.reject(failure);
      ended = true;
      send();
      return new Promise<string>((resolve, reject) => {
        p.done = { resolve, reject };
        worker.postMessage({ id, end: true });
      });
    },
    discard() {
      if (ended || failure) return;
      ended = true;
      worker.postMessage({ id, end: true, discard: true });
    },
  };
}
