import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import sharp from 'sharp';
import { CLI } from './cli.js';
import { form, json } from './http.js';
import { PG_TEST_URL } from './pg.js';
import type { DbKind } from './server.js';

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface CountingS3 {
  endpoint: string;
  /** Options for upload-provider-aws-s3 on the bucket (public, so plain URLs serve). */
  options(): Record<string, unknown>;
  /** Objects created in the bucket (PUTs, POSTs, completed multipart uploads), by key. */
  writes: Map<string, number>;
  close(): Promise<void>;
}

/** s3rver in this process with one bucket, counting every object it creates (its S3 event notifications). */
export async function startCountingS3(bucket: string): Promise<CountingS3> {
  const directory = await mkdtemp(join(tmpdir(), 'migrate-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const writes = new Map<string, number>();
  (server as unknown as NodeJS.EventEmitter).on('event', (event: S3Event) => {
    for (const record of event.Records) {
      if (!record.eventName.startsWith('ObjectCreated')) continue;
      const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
      writes.set(key, (writes.get(key) ?? 0) + 1);
    }
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    writes,
    options: () => ({
      bucket,
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      visibility: 'public',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

interface S3Event {
  Records: Array<{ eventName: string; s3: { object: { key: string } } }>;
}

/** A PNG of `width`×`height` in a colour made from `seed`, so every image differs. */
export function png(width: number, height: number, seed: number): Promise<Buffer> {
  const background = { r: seed % 256, g: (seed * 7) % 256, b: (seed * 13) % 256 };
  return sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();
}

/**
 * Uploads `files` small random files and `images` PNGs (640×480: a thumbnail and a `small` format each) through the
 * server's Strapi API, 50 per request. Resolves each file's bytes by its name.
 */
export async function seed(url: string, files: number, images: number): Promise<Map<string, Buffer>> {
  const bytes = new Map<string, Buffer>();
  const parts: Array<{ filename: string; content: Buffer; type: string }> = [];
  for (let i = 0; i < images; i++)
    parts.push({ filename: `image-${i}.png`, content: await png(640, 480, i + 1), type: 'image/png' });
  for (let i = images; i < files; i++) {
    parts.push({
      filename: `file-${i}.bin`,
      content: randomBytes(200 + ((i * 37) % 3000)),
      type: 'application/octet-stream',
    });
  }
  for (let i = 0; i < parts.length; i += 50) {
    const batch = parts.slice(i, i + 50);
    const res = await fetch(`${url}/api/upload`, { method: 'POST', body: form(batch) });
    if (res.status !== 201) throw new Error(`seeding failed (${res.status}): ${await res.text()}`);
    await json(res);
    for (const p of batch) bytes.set(p.filename, p.content);
  }
  return bytes;
}

/** Writes the server config the CLI reads: the same data folder and database as the test server. */
export async function writeServerConfig(
  dir: string,
  kind: DbKind,
  schema: string | undefined,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const file = join(dir, 'upload.config.json');
  const database = kind === 'postgres' ? { url: PG_TEST_URL, schema } : { url: join(dir, 'test.db') };
  await writeFile(file, JSON.stringify({ dataDir: dir, logLevel: 'silent', database, ...extra }));
  return file;
}

export interface Migration {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts `upload-server migrate …` from this package's folder, where the providers' packages resolve. */
export function startMigrate(args: string[]): Migration {
  const child = spawn(process.execPath, [CLI, 'migrate', ...args], {
    cwd: join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

export async function migrateOnce(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startMigrate(args);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
