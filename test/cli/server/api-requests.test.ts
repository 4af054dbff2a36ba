import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALES_CONFIG, startServer, tempHome, until } from './efi-process.ts';

/**
 * An operator (or a script) sending efi server requests it cannot serve: each
 * gets a 4xx naming what is wrong, never a 500 or a stack trace in the log.
 */

let dir: string;
let home: string;
let server: Awaited<ReturnType<typeof startServer>>;

const send = (method: string, p: string, body?: string | Uint8Array) =>
  fetch(`${server.base}${p}`, {
    method,
    headers: { 'x-efi-client': 'test', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body }),
  });

beforeAll(async () => {
  dir = tempHome('efi-server-requests-');
  home = path.join(dir, 'home');
  fs.mkdirSync(path.join(dir, 'configs'));
  fs.writeFileSync(path.join(dir, 'configs', 'sales.yaml'), SALES_CONFIG);
  server = await startServer(home);
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('efi server, malformed requests', () => {
  const cases: [string, string, string | undefined, number, RegExp][] = [
    ['POST', '/api/sql', '{bad', 400, /body is not JSON/],
    ['POST', '/api/sql', 'null', 400, /body must be an object \{"sql"/],
    ['POST', '/api/sql', '{"sql": 5}', 400, /sql: expected a non-empty string/],
    ['POST', '/api/sql', '{}', 400, /sql: expected a non-empty string/],
    ['GET', '/api/runs/%ZZ', undefined, 400, /run id %ZZ: malformed percent-encoding/],
    ['GET', '/api/runs/%E0%A4%A/events', undefined, 400, /malformed percent-encoding/],
    ['POST', '/api/runs/%E0%A4%A/redrive', undefined, 400, /malformed percent-encoding/],
    ['GET', '/api/runs?status=bogus', undefined, 400, /status bogus: expected one of FINISHED, FAILED/],
    ['GET', '/api/runs?offset=1e20', undefined, 400, /offset 1e20: expected a whole number/],
    ['GET', '/api/runs?limit=0', undefined, 400, /limit 0: expected a positive whole number/],
    ['GET', '/api/runs?since=2026-02-30', undefined, 400, /since 2026-02-30: not a real date/],
    [
      'GET',
      '/api/object?key=%2Fetc%2Fpasswd',
      undefined,
      400,
      /invalid object key "\/etc\/passwd": it starts with '\/'/,
    ],
    ['GET', '/api/object?key=landing%2F', undefined, 400, /invalid object key "landing\/": it has an empty/],
    ['GET', '/api/object?key=a%00b', undefined, 400, /invalid object key/],
    ['POST', '/api/ingest?name=a%00b.csv', 'x', 400, /invalid object key/],
    ['POST', '/api/ingest?name=a%5Cb.csv', 'x', 400, /invalid object key/],
    ['POST', '/api/ingest?name=x.csv&prefix=a%2F%2Fb', 'x', 400, /invalid object key/],
  ];

  it.each(cases)('%s %s %s → %i', async (method, p, body, status, message) => {
    const res = await send(method, p, body);
    const answer = (await res.json()) as { error: string; message: string };
    expect({ status: res.status, message: answer.message }).toEqual({
      status,
      message: expect.stringMatching(message),
    });
    expect(server.stderr()).not.toMatch(/\n {4}at /);
  });

  it('still serves good requests after them', async () => {
    expect((await send('POST', '/api/sql', '{"sql": "select 1 as one"}')).status).toBe(200);
    expect((await send('GET', '/api/runs?status=failed&since=2026-01-01')).status).toBe(200);
  });
});

describe('efi server, an uploaded file', () => {
  it('is streamed to the store as it arrives, never held whole in memory', async () => {
    const landing = path.join(home, 's3', 'efi-local', 'landing');
    const req = http.request(`${server.base}/api/ingest?name=upload_big.bin&wait=1`, {
      method: 'POST',
      headers: { 'x-efi-client': 'test', 'content-type': 'application/octet-stream' },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    const chunk = Buffer.alloc(1024 * 1024, 'abcdefgh\n');
    req.write(chunk);
    // The first MiB is on disk (in the store's temporary file) while the rest has not been sent yet.
    await until(
      'the first part of the upload in the store',
      () =>
        fs.existsSync(landing) &&
        fs.readdirSync(landing).some((f) => f.endsWith('.tmp') && fs.statSync(path.join(landing, f)).size > 0),
      30_000,
    );
    req.end(chunk);
    const { status, body } = await answer;
    expect(status).toBe(200);
    // Matches no config: the run stops at FetchConfig, the file kept whole in landing.
    expect(JSON.parse(body)).toMatchObject({ status: 'FAILED', error: { name: 'NoConfigMatch' } });
    expect(fs.statSync(path.join(landing, 'upload_big.bin')).size).toBe(2 * chunk.length);
  });
});
