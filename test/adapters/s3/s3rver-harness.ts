import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createS3Client } from '../../../functions/lib/adapters/s3/object-store-s3.ts';

export interface S3rverHandle {
  client: S3Client;
  endpoint: string;
  bucket: string;
  stop: () => Promise<void>;
}

/** A real S3 protocol peer on a random local port, storing into a temp dir. */
export async function startS3rver(bucket = 'efi-test'): Promise<S3rverHandle> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'efi-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client(
    { endpoint, forcePathStyle: true, region: 'us-east-1' },
    { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
  );
  return {
    client,
    endpoint,
    bucket,
    stop: async () => {
      client.destroy();
      await server.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
