import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectNotFound } from '../../errors.ts';
import type { ObjectInfo, ObjectStore } from '../../ports/object-store.ts';

/**
 * The local object store: `<root>/<bucket>/<key>`. ETags (MD5, like a
 * single-part S3 upload) are kept in sidecars under `<root>/.meta/` so files
 * dropped in by hand get one too, computed once by streaming.
 */
export class FsObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  private objectPath(bucket: string, key: string): string {
    return path.join(this.root, safeSegment(bucket, 'bucket'), safeKey(key));
  }

  private metaPath(bucket: string, key: string): string {
    return path.join(this.root, '.meta', safeSegment(bucket, 'bucket'), `${safeKey(key)}.json`);
  }

  localPath(bucket: string, key: string): string {
    return this.objectPath(bucket, key);
  }

  uri(bucket: string, key: string): string {
    return `s3://${bucket}/${key}`;
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | null> {
    const file = this.objectPath(bucket, key);
    let st: import('node:fs').Stats;
    try {
      // lstat: a link in the local bucket is refused below, never followed (it could point anywhere, /etc/passwd).
      st = await fs.lstat(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    if (st.isSymbolicLink()) throw symlinkRefused(bucket, key, file);
    if (!st.isFile()) return null;
    const meta = await readMeta(this.metaPath(bucket, key));
    let etag: string;
    if (meta && meta.size === st.size && meta.mtimeMs === st.mtimeMs) etag = meta.etag;
    else {
      const hash = createHash('md5');
      await pipeline(createReadStream(file), hash);
      etag = hash.digest('hex');
      await this.writeMeta(bucket, key, { etag, size: st.size, mtimeMs: st.mtimeMs });
    }
    return { bucket, key, size: st.size, etag, lastModified: st.mtime };
  }

  async get(bucket: string, key: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.objectPath(bucket, key);
    try {
      const handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
      // 1 MiB reads: the byte scanners are bound by per-chunk overhead at the default 64 KiB.
      return handle.createReadStream({
        highWaterMark: 1 << 20,
        ...(range ? { start: range.start, end: range.end } : {}),
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ObjectNotFound(`object s3://${bucket}/${key} does not exist`);
      }
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkRefused(bucket, key, file);
      throw e;
    }
  }

  async put(bucket: string, key: string, body: Readable | Buffer | string): Promise<{ etag: string }> {
    const file = this.objectPath(bucket, key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    const hash = createHash('md5');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const source = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
    try {
      await pipeline(source, tap, createWriteStream(tmp));
      // Rename makes the object appear whole or not at all, as S3 does.
      await fs.rename(tmp, file);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
    const etag = hash.digest('hex');
    const st = await fs.stat(file);
    await this.writeMeta(bucket, key, { etag, size: st.size, mtimeMs: st.mtimeMs });
    return { etag };
  }

  async copy(from: { bucket: string; key: string }, to: { bucket: string; key: string }): Promise<void> {
    const src = this.objectPath(from.bucket, from.key);
    const dst = this.objectPath(to.bucket, to.key);
    await fs.mkdir(path.dirname(dst), { recursive: true });
    const tmp = `${dst}.${randomUUID()}.tmp`;
    try {
      await fs.copyFile(src, tmp);
      await fs.rename(tmp, dst);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ObjectNotFound(`object s3://${from.bucket}/${from.key} does not exist`);
      }
      throw e;
    }
    const meta = await readMeta(this.metaPath(from.bucket, from.key));
    const st = await fs.stat(dst);
    if (meta) await this.writeMeta(to.bucket, to.key, { etag: meta.etag, size: st.size, mtimeMs: st.mtimeMs });
  }

  /** A rename within the folder (no byte copied); falls back to copy + delete across file systems. */
  async move(from: { bucket: string; key: string }, to: { bucket: string; key: string }): Promise<void> {
    const src = this.objectPath(from.bucket, from.key);
    const dst = this.objectPath(to.bucket, to.key);
    await fs.mkdir(path.dirname(dst), { recursive: true });
    const meta = await readMeta(this.metaPath(from.bucket, from.key));
    try {
      await fs.rename(src, dst);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ObjectNotFound(`object s3://${from.bucket}/${from.key} does not exist`);
      if (code !== 'EXDEV') throw e;
      await this.copy(from, to);
      await this.delete(from.bucket, from.key);
      return;
    }
    // A rename keeps the mtime, so the ETag cached for the source holds for the destination.
    if (meta) await this.writeMeta(to.bucket, to.key, meta);
    await this.delete(from.bucket, from.key);
  }

  async delete(bucket: string, key: string): Promise<void> {
    await fs.rm(this.objectPath(bucket, key), { force: true });
    await fs.rm(this.metaPath(bucket, key), { force: true });
    // S3 has no folders: once a "folder" is empty it is gone, so prune it here too.
    await pruneEmptyDirs(path.dirname(this.objectPath(bucket, key)), path.join(this.root, bucket));
    await pruneEmptyDirs(path.dirname(this.metaPath(bucket, key)), path.join(this.root, '.meta', bucket));
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of await this.keys(bucket, prefix)) {
      const info = await this.head(bucket, key);
      if (info) yield info;
    }
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    // Keys only: a head() would hash every file that has no ETag sidecar yet.
    const keys = await this.keys(bucket, prefix);
    for (const key of keys) await this.delete(bucket, key);
    return keys.length;
  }

  private async keys(bucket: string, prefix: string): Promise<string[]> {
    const all: string[] = [];
    await walk(path.join(this.root, safeSegment(bucket, 'bucket')), '', all);
    return all.filter((key) => key.startsWith(prefix) && !key.endsWith('.tmp')).sort();
  }

  private async writeMeta(bucket: string, key: string, meta: Meta): Promise<void> {
    const file = this.metaPath(bucket, key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify(meta));
  }
}

interface Meta {
  etag: string;
  size: number;
  mtimeMs: number;
}

async function readMeta(file: string): Promise<Meta | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Meta;
  } catch {
    return null;
  }
}

async function pruneEmptyDirs(dir: string, stopAt: string): Promise<void> {
  let d = dir;
  while (d.startsWith(`${stopAt}${path.sep}`)) {
    try {
      await fs.rmdir(d);
    } catch {
      return; // not empty (or already gone): stop climbing
    }
    d = path.dirname(d);
  }
}

async function walk(dir: string, rel: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(path.join(dir, e.name), r, out);
    else if (e.isFile()) out.push(r);
  }
}

function safeSegment(s: string, what: string): string {
  if (!s || s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0') || s === '.meta') {
    throw new Error(`invalid ${what} name ${JSON.stringify(s)}`);
  }
  return s;
}

/**
 * A key this store refuses: its own class, so a caller that took the key from
 * a person (efi server's API) can answer "bad request" instead of failing.
 */
export class InvalidObjectKey extends Error {
  override readonly name = 'InvalidObjectKey';
}

/** Object keys are untrusted: refuse anything that could leave the bucket folder. */
function safeKey(key: string): string {
  const why = !key
    ? 'it is empty'
    : key.startsWith('/')
      ? "it starts with '/'"
      : key.includes('\0')
        ? 'it holds a NUL byte'
        : key.includes('\\')
          ? 'it holds a backslash'
          : key.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')
            ? "it has an empty, '.' or '..' segment"
            : null;
  if (why) {
    throw new InvalidObjectKey(
      `invalid object key ${JSON.stringify(key)}: ${why}; the local store keeps objects as files under their bucket folder, so a key is a relative path of plain names joined by '/'`,
    );
  }
  return key;
}

function symlinkRefused(bucket: string, key: string, file: string): ObjectNotFound {
  return new ObjectNotFound(
    `object s3://${bucket}/${key} is a symbolic link (${file}); the local object store does not follow links: copy or move the file itself there`,
  );
}
