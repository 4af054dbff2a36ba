import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEfi, startServer, tempHome } from './efi-process.ts';

let dir: string;
let home: string;
let server: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  dir = tempHome('efi-server-token-');
  home = path.join(dir, 'home');
  server = await startServer(home, ['--token', 's3cret']);
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('efi server with a token', () => {
  it('refuses API requests without it, and serves them with it', async () => {
    expect((await fetch(`${server.base}/api/runs`)).status).toBe(401);
    expect((await fetch(`${server.base}/api/runs?token=wrong`)).status).toBe(401);
    const ok = await fetch(`${server.base}/api/runs`, { headers: { authorization: 'Bearer s3cret' } });
    expect(await ok.json()).toEqual({ runs: [], total: 0 });
    // The console page itself loads; its API calls carry the token from ?token=.
    expect((await fetch(`${server.base}/`)).status).toBe(200);
  });

  it('keeps the token in the lock file (mode 0600), so local CLI commands still reach it', async () => {
    expect(server.lock.server?.token).toBe('s3cret');
    expect(fs.statSync(path.join(home, 'efi.lock')).mode & 0o777).toBe(0o600);
    const r = await runEfi(['runs', '--json'], { EFI_HOME: home });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
