import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { InvalidObjectKey } from '../../functions/lib/adapters/fs/object-store-fs.ts';
import { parseCount, parseOffset, parseRunStatus, parseUntil, parseWhen } from '../commands/run-filters.ts';
import { createContext, UsageError } from '../context.ts';
import { COMMANDS, runCommand } from '../dispatch.ts';
import type { DeployedBackend } from './deployed.ts';
import {
  definition,
  getRunView,
  listFeeds,
  listRuns,
  openObject,
  runSql,
  type ServerDeps,
  startIngest,
  startRedrive,
} from './queries.ts';

/**
 * efi server's HTTP API (JSON) and the web console's static files.
 *
 *   GET  /api/health                      {ok, pid, home, version}
 *   GET  /api/runs?feed&status&since&until&file&limit&offset   {runs, total}
 *   GET  /api/runs/:id                    run view: detail, states, events, redrive, file location
 *   GET  /api/runs/:id/events             the event history (like get-execution-history)
 *   POST /api/runs/:id/redrive            202 {runId}; ?wait=1 answers with the outcome
 *   POST /api/ingest?name=F&prefix=&reload=1  body = the file; 202 {runId}; ?wait=1 the ingest result
 *   GET  /api/feeds                       configs with last file/status, rows per day, failure rate
 *   GET  /api/definition                  statemachine/efi.asl.json
 *   GET  /api/object?key=K                download an object (the run's file where it is now)
 *   POST /api/sql {sql}                   {columns, rows} on the local warehouse
 *   POST /api/cli {cmd, argv, tty}        runs an efi command here; NDJSON {out}|{err} lines, then {exit}
 *
 * Every POST needs the header `x-efi-client` (a browser on another site cannot
 * send it without a CORS preflight, which this server never grants). With a
 * token, every /api request needs `Authorization: Bearer TOKEN` (or ?token=).
 */

export interface ApiOptions {
  deps: ServerDeps;
  token: string | null;
  /** Host header values accepted (loopback names when bound to loopback: stops DNS rebinding). */
  allowedHosts: Set<string> | null;
  /** Serialises everything that writes (runs, SQL, CLI commands): one PGlite session. */
  serial: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Abort functions of running executions (server stop aborts them). */
  aborts: Set<(reason?: string) => void>;
  log: (s: string) => void;
  /** With AWS settings: the run pages read the deployed state machine (deployed.ts), feeds stay the config DB's. */
  deployed?: DeployedBackend | null;
}

/** The deployed pages (and the AWS SDK) load only when a state machine is given. */
const deployedPages = () => import('./deployed.ts');

const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createApi(o: ApiOptions): http.RequestListener {
  return (req, res) => {
    handle(o, req, res).catch((e) => {
      const status = statusOf(e);
      if (status === 500) o.log(`efi server: ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
      if (!res.headersSent) sendJson(res, status, { error: (e as Error).name, message: (e as Error).message });
      else res.end();
    });
  };
}

async function handle(o: ApiOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (o.allowedHosts && !o.allowedHosts.has(host)) throw new HttpError(403, `host ${host} not allowed`);
  const p = url.pathname;
  if (!p.startsWith('/api/')) return serveStatic(p, res);

  if (o.token) {
    const given = req.headers.authorization?.replace(/^Bearer\s+/i, '') ?? url.searchParams.get('token');
    if (given !== o.token) throw new HttpError(401, 'a token is needed: Authorization: Bearer TOKEN');
  }
  if (req.method === 'POST' && !req.headers['x-efi-client']) throw new HttpError(403, 'POST needs x-efi-client');
  const { deps } = o;
  const q = (k: string) => url.searchParams.get(k) ?? undefined;
  const runPath = p.match(/^\/api\/runs\/([^/]+)(\/events|\/redrive)?$/);
  const runId = runPath ? decodeSegment('run id', runPath[1]!) : '';
  const runSub = runPath?.[2] ?? '';

  if (req.method === 'GET' && p === '/api/health') {
    const deployed = o.deployed
      ? { stateMachineArn: o.deployed.settings.stateMachineArn, region: o.deployed.settings.region }
      : null;
    return sendJson(res, 200, { ok: true, pid: process.pid, home: deps.rt.settings.home, version: '0.1.0', deployed });
  }
  if (req.method === 'GET' && p === '/api/runs') {
    // The rules of efi runs' flags (a UsageError answers 400 with its message).
    const limit = q('limit') ? parseCount('limit', q('limit')!) : 25;
    const offset = q('offset') ? parseOffset('offset', q('offset')!) : 0;
    const status = q('status') ? parseRunStatus('status', q('status')!) : undefined;
    const now = new Date();
    const since = q('since')?.trim() ? parseWhen('since', q('since')!.trim(), now).toISOString() : undefined;
    const until = q('until')?.trim() ? parseUntil('until', q('until')!.trim(), now).toISOString() : undefined;
    const filter = {
      ...pick({ feed: q('feed'), status, since, until, file: q('file') }),
      limit,
      offset,
    };
    const r = o.deployed
      ? await (await deployedPages()).listDeployedRuns(o.deployed, filter).catch(remote)
      : await listRuns(await deps.rt.db(), filter);
    return sendJson(res, 200, r);
  }
  const viewOf = (id: string) =>
    o.deployed
      ? deployedPages()
          .then((d) => d.getDeployedRunView(o.deployed!, id))
          .catch(remote)
      : getRunView(deps, id);
  if (req.method === 'GET' && runPath && !runSub) {
    const view = await viewOf(runId);
    if (!view) throw new HttpError(404, `no run ${runId}`);
    return sendJson(res, 200, view);
  }
  if (req.method === 'GET' && runSub === '/events') {
    const view = await viewOf(runId);
    if (!view) throw new HttpError(404, `no run ${runId}`);
    return sendJson(res, 200, { executionId: view.detail.executionId, events: view.events });
  }
  if (req.method === 'POST' && runSub === '/redrive' && o.deployed) {
    try {
      return sendJson(res, 202, {
        ...(await (await deployedPages()).redriveDeployed(o.deployed, runId)),
        redriving: true,
      });
    } catch (e) {
      if ((e as Error).name === 'RedriveRefused') throw new HttpError(409, (e as Error).message);
      return remote(e);
    }
  }
  if (req.method === 'POST' && runSub === '/redrive') {
    const id = runId;
    const view = await getRunView(deps, id);
    if (!view) throw new HttpError(404, `no run ${id}`);
    if (!view.redrive.ok) throw new HttpError(409, `cannot redrive run ${view.detail.runId}: ${view.redrive.reason}`);
    let abort: ((reason?: string) => void) | null = null;
    const done = o.serial(
      () =>
        startRedrive(deps, view.detail.runId, {
          onAbortable: (a) => {
            abort = a;
            o.aborts.add(a);
          },
        }).done,
    );
    done
      .catch((e) => o.log(`efi server: redrive ${id}: ${(e as Error).message}`))
      .finally(() => abort && o.aborts.delete(abort));
    if (q('wait')) return sendJson(res, 200, await done);
    return sendJson(res, 202, { runId: view.detail.runId, redriving: true });
  }
  if (req.method === 'POST' && p === '/api/ingest') {
    const name = q('name');
    if (!name || name.includes('/') || name.startsWith('.')) throw new HttpError(400, 'name=FILE (a plain file name)');
    const prefix = q('prefix') ?? '';
    if (prefix.startsWith('/') || prefix.split('/').includes('..')) throw new HttpError(400, 'prefix: relative');
    // Streamed to the store as it arrives (once this upload's turn comes), never held whole.
    let bytes = 0;
    const body = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        cb(bytes > MAX_UPLOAD ? new HttpError(413, `body over ${MAX_UPLOAD} bytes`) : null, chunk);
      },
    });
    pipeline(req, body).catch(() => undefined);
    const ctx = { ...createContext(true), out: () => {}, err: () => {} };
    let abort: ((reason?: string) => void) | null = null;
    let named: (runId: string) => void = () => {};
    const runId = new Promise<string>((r) => {
      named = r;
    });
    const queued = o.serial(async () => {
      const started = startIngest(deps, ctx, name, body, {
        prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix,
        reload: q('reload') === '1',
        onAbortable: (a) => {
          abort = a;
          o.aborts.add(a);
        },
      });
      started.runId.then(named);
      return started.done;
    });
    queued
      .catch((e) => {
        named('');
        o.log(`efi server: ingest ${name}: ${(e as Error).message}`);
      })
      .finally(() => abort && o.aborts.delete(abort));
    if (q('wait')) return sendJson(res, 200, await queued);
    // Queued behind other work: answer once this run has a name.
    const id = await runId;
    if (!id) {
      const e = await queued.then(
        () => null,
        (err: unknown) => err,
      );
      if (statusOf(e) !== 500) throw e;
      throw new HttpError(500, `ingest ${name} did not start: ${(e as Error | null)?.message}`);
    }
    return sendJson(res, 202, { runId: id });
  }
  if (req.method === 'GET' && p === '/api/feeds') {
    return sendJson(res, 200, { feeds: await listFeeds(await deps.rt.db()) });
  }
  if (req.method === 'GET' && p === '/api/definition') return sendJson(res, 200, definition());
  if (req.method === 'GET' && p === '/api/object') {
    const key = q('key');
    if (!key || key.split('/').includes('..')) throw new HttpError(400, 'key=KEY');
    const obj = await openObject(deps.rt, key);
    if (!obj) throw new HttpError(404, `no object ${key}`);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': obj.size,
      'content-disposition': `attachment; filename="${path.posix.basename(key).replace(/"/g, '')}"`,
    });
    obj.stream.pipe(res);
    return;
  }
  if (req.method === 'POST' && p === '/api/sql') {
    const { sql } = parseSqlRequest((await readBody(req, 1024 ** 2)).toString('utf8'));
    try {
      return sendJson(res, 200, await o.serial(() => runSql(deps.rt, sql)));
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
  }
  if (req.method === 'POST' && p === '/api/cli') return runCli(o, req, res);
  throw new HttpError(404, `no route ${req.method} ${p}`);
}

/** Runs an efi command for a CLI client, streaming its output lines as they come. */
async function runCli(o: ApiOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { cmd, argv, tty } = parseCliRequest((await readBody(req, 1024 ** 2)).toString('utf8'));
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const send = (m: object) => {
    if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(m)}\n`);
  };
  const ctx = {
    ...createContext(argv.includes('--json')),
    tty: !!tty,
    out: (s: string) => send({ out: s }),
    err: (s: string) => send({ err: s }),
  };
  // Reads answer at once; anything that may write waits its turn on the one database session.
  const readOnly = cmd === 'runs' || cmd === 'show' || (cmd === 'config' && argv[0] === 'list');
  let running = false;
  let before: Set<unknown> = new Set();
  // A client that goes away (Ctrl-C) aborts its run: commands map SIGINT to an abort
  // (cli/commands/ingest.ts runWithProgress), and writes run one at a time, so the SIGINT
  // listeners added since this command started are its own.
  res.on('close', () => {
    if (!running || res.writableFinished) return;
    for (const l of process.listeners('SIGINT')) if (!before.has(l)) (l as () => void)();
  });
  const run = () => {
    before = new Set(process.listeners('SIGINT'));
    running = true;
    return runCommand(cmd, argv, ctx).finally(() => {
      running = false;
    });
  };
  if (cmd === 'watch') {
    // A watch runs for as long as its client stays: each file it takes waits its turn
    // on the one database session (not the whole watch); a hang-up or server stop ends it.
    const stop = new AbortController();
    const abort = () => stop.abort();
    o.aborts.add(abort);
    res.on('close', abort);
    const servedWatch = { rt: o.deps.rt, runner: o.deps.runner, around: o.serial, signal: stop.signal };
    try {
      send({ exit: await runCommand(cmd, argv, { ...ctx, servedWatch } as typeof ctx) });
    } finally {
      o.aborts.delete(abort);
    }
    res.end();
    return;
  }
  const exit = readOnly ? await runCommand(cmd, argv, ctx) : await o.serial(run);
  send({ exit });
  res.end();
}

/**
 * The body of POST /api/cli, checked: `{"cmd": a command of the table, "argv": [strings], "tty"?: boolean}`.
 * Throws a 400 naming what is wrong.
 */
export function parseCliRequest(text: string): { cmd: string; argv: string[]; tty: boolean } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `body is not JSON (${(e as Error).message}); expected {"cmd", "argv", "tty"}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, 'body must be an object {"cmd", "argv", "tty"}');
  const { cmd, argv, tty } = body as Record<string, unknown>;
  if (typeof cmd !== 'string' || !Object.hasOwn(COMMANDS, cmd))
    throw new HttpError(
      400,
      `cmd ${JSON.stringify(cmd) ?? 'missing'}: expected one of ${Object.keys(COMMANDS).join(', ')} (efi server is not run for a client)`,
    );
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string'))
    throw new HttpError(400, 'argv: expected an array of strings');
  if (tty !== undefined && typeof tty !== 'boolean') throw new HttpError(400, 'tty: expected true or false');
  return { cmd, argv, tty: tty ?? false };
}

/** The body of POST /api/sql, checked: `{"sql": "a non-empty string"}`. Throws a 400 naming what is wrong. */
export function parseSqlRequest(text: string): { sql: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `body is not JSON (${(e as Error).message}); expected {"sql": "..."}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, 'body must be an object {"sql": "..."}');
  const { sql } = body as Record<string, unknown>;
  if (typeof sql !== 'string' || !sql.trim()) throw new HttpError(400, 'sql: expected a non-empty string of SQL');
  return { sql };
}

/** The upload limit of POST /api/ingest. */
const MAX_UPLOAD = 2 * 1024 ** 3;

/**
 * The answer's status for an error: its own for an HttpError; 400 for what the
 * request asked wrongly (a flag's rule, an object key the store refuses); else 500.
 */
function statusOf(e: unknown): number {
  if (e instanceof HttpError) return e.status;
  if (e instanceof UsageError || e instanceof InvalidObjectKey) return 400;
  return 500;
}

/** A percent-encoded path segment, decoded; 400 when its encoding is broken. */
function decodeSegment(what: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `${what} ${raw}: malformed percent-encoding`);
  }
}

/** A Step Functions call that failed (cli/remote/errors.ts words it in one line): 502, or 400 for a bad name. */
function remote(e: unknown): never {
  if ((e as Error).name === 'ConfigInvalid' || e instanceof RangeError) throw new HttpError(400, (e as Error).message);
  if ((e as { oneLine?: unknown }).oneLine === true) throw new HttpError(502, (e as Error).message);
  throw e;
}

function serveStatic(p: string, res: http.ServerResponse): void {
  const rel = p === '/' || !path.extname(p) ? 'index.html' : p.replace(/^\/+/, '');
  const file = path.join(WEB_DIR, rel);
  if (!file.startsWith(WEB_DIR) || !fs.existsSync(file)) {
    sendJson(res, 404, { error: 'NotFound', message: p });
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-cache',
  });
  fs.createReadStream(file).pipe(res);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new HttpError(413, `body over ${max} bytes`));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function pick<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as never;
}
