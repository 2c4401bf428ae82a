// Resumable uploads (tus 1.0) through the server with a real tus client (tus-js-client), on SQLite and PostgreSQL:
// the local provider (native sessions) and the in-memory provider, which has no sessions (the generic path: a temp
// file, then one upload). A TCP proxy destroys the connection in the middle of a chunk; the client resumes from the
// offset the server reports, and the stored file is the same bytes.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Upload } from 'tus-js-client';
import type { UploadProvider } from 'upload-provider';
import { createMemoryStore, memoryProvider } from 'upload-provider-memory';
import { tempSessionsDir } from '../src/resumable/sessions.js';
import { type S3Emulator, startS3 } from './browser/s3.js';
import { dropSchema, freshSchema } from './helpers/pg.js';
import { databases, startServer, type TestServer } from './helpers/server.js';
import { MiB, randomFile, sha256, startCuttingProxy, tusMetadata, tusRequest, tusUpload } from './helpers/tus.js';

interface Entity {
  id: number;
  name: string;
  mime: string;
  size: number;
  url: string;
  ext: string;
  hash: string;
}

let s3: S3Emulator;
beforeAll(async () => {
  s3 = await startS3('tus');
});
afterAll(() => s3?.close());

/** Each provider, and the folder where an upload's bytes wait until the last one arrives (when on this disk). */
const providers: Array<[string, () => UploadProvider | undefined, ((server: TestServer) => string) | null]> = [
  // Native sessions: a partial file inside the provider's own folder.
  ['local', () => undefined, (server) => join(server.dir, 'uploads', '.upload-provider-local', 'resumable')],
  // No sessions: the generic path's temp file.
  ['memory (generic path)', () => memoryProvider({}), (server) => tempSessionsDir(server.app.uploads.config.tempDir)],
  // Native sessions: an S3 multipart upload and its tail object (see the aws-s3 package's resumable tests).
  ['aws-s3 (s3rver)', () => s3.provider(), null],
];

describe.each(databases())('tus on %s', (kind) => {
  describe.each(providers)('with the %s provider', (_name, make, partials) => {
    let server: TestServer;
    let provider: UploadProvider | undefined;
    beforeAll(async () => {
      provider = make();
      server = await startServer({ kind, ...(provider ? { provider } : {}) });
    });
    afterAll(() => server?.close());

    const download = async (entity: Entity): Promise<Buffer> => {
      if (!provider) return Buffer.from(await (await fetch(`${server.url}${entity.url}`)).arrayBuffer());
      const chunks: Buffer[] = [];
      // Stored at the root: the key is the hash with the extension.
      const key = `${entity.hash}${entity.ext}`;
      for await (const c of await provider.read!({ key })) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };

    test('24 MiB in 5 MiB chunks, cut mid-chunk, resumes from the offset the server kept and stores the same bytes', async () => {
      const bytes = randomFile(24 * MiB);
      // Past the first chunk and into the second: the cut lands mid-chunk.
      const proxy = await startCuttingProxy(server.url, 7.5 * MiB);
      try {
        const run = await tusUpload(proxy.url, bytes);
        expect(proxy.cuts()).toBe(1);
        // The client asked where to resume: past the first chunk, and not on a chunk boundary (bytes of the cut
        // request that arrived were kept).
        expect(run.resumedFrom).toHaveLength(1);
        const [from] = run.resumedFrom as [number];
        expect(from).toBeGreaterThan(5 * MiB);
        expect(from).toBeLessThan(10 * MiB);
        expect(run.status).toBe(200);
        const [entity] = JSON.parse(run.body) as [Entity];
        expect(entity).toMatchObject({ name: 'big.bin', mime: 'application/octet-stream', ext: '.bin' });
        expect(sha256(await download(entity))).toBe(sha256(bytes));
        const listed = (await (await fetch(`${server.url}/api/upload/files`)).json()) as Entity[];
        expect(listed.map((f) => f.id)).toContain(entity.id);
        expect(listed.find((f) => f.id === entity.id)?.size).toBeCloseTo(bytes.length / 1000, 1);
      } finally {
        await proxy.close();
      }
    });

    // Only where the waiting bytes are on this disk (S3's are checked in the aws-s3 package's resumable tests).
    const onDisk = partials ? test : () => {};
    onDisk('the bytes wait where the provider keeps them; termination and finishing leave nothing there', async () => {
      const dir = partials!(server);
      const entries = () => (existsSync(dir) ? readdirSync(dir) : []);
      const before = entries().length;
      const created = await tusRequest(`${server.url}/api/upload/tus`, 'POST', {
        'upload-length': '2000',
        'upload-metadata': tusMetadata({ filename: 'half.bin' }),
      });
      const url = new URL(created.headers.get('location')!, server.url).toString();
      const chunk = { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' };
      expect((await tusRequest(url, 'PATCH', chunk, randomFile(1000))).status).toBe(204);
      const waiting = entries().filter((name) => statSync(join(dir, name)).size === 1000);
      expect(waiting).toHaveLength(1);
      expect((await tusRequest(url, 'DELETE')).status).toBe(204);
      expect(entries()).toHaveLength(before);
      await tusUpload(server.url, randomFile(1000));
      expect(entries()).toHaveLength(before);
    });
  });
});

const restarts: Array<[string, () => UploadProvider | undefined]> = [
  ['local (native sessions)', () => undefined],
  // The generic path resumes while its temp folder survives; one store stands for storage that outlives the server.
  ['memory (generic path)', () => memoryProvider({ store: sharedStore })],
];
const sharedStore = createMemoryStore();

describe.each(databases())('tus across a restart on %s', (kind) => {
  test.each(restarts)(
    'with %s: a server restarted between two chunks resumes the upload from the database',
    async (_name, make) => {
      const dir = mkdtempSync(join(tmpdir(), 'upload-server-tus-restart-'));
      const schema = kind === 'postgres' ? freshSchema() : undefined;
      const options = { kind, dir, ...(schema ? { schema } : {}), config: { tempDir: join(dir, 'tmp') } };
      const bytes = randomFile(12 * MiB);
      const withProvider = () => {
        const provider = make();
        return provider ? { ...options, provider } : options;
      };
      try {
        const first = await startServer(withProvider());
        let path = '';
        try {
          // The first chunk only: the client stops once it is stored.
          path = await new Promise<string>((resolve, reject) => {
            const upload = new Upload(bytes, {
              endpoint: `${first.url}/api/upload/tus`,
              chunkSize: 5 * MiB,
              metadata: { filename: 'restart.bin' },
              onError: reject,
              onChunkComplete: () => {
                upload.abort().then(() => resolve(new URL(upload.url!).pathname), reject);
              },
            });
            upload.start();
          });
        } finally {
          await first.close();
        }
        const second = await startServer(withProvider());
        try {
          const run = await tusUpload(second.url, bytes, { uploadUrl: `${second.url}${path}`, metadata: {} });
          expect(run.resumedFrom).toEqual([5 * MiB]);
          const [entity] = JSON.parse(run.body) as [Entity];
          const listed = (await (await fetch(`${second.url}/api/upload/files`)).json()) as Entity[];
          expect(listed.map((f) => f.id)).toEqual([entity.id]);
          const provider = second.app.uploads.provider;
          const chunks: Buffer[] = [];
          for await (const c of await provider.read!({ key: `${entity.hash}${entity.ext}` })) chunks.push(c as Buffer);
          expect(sha256(Buffer.concat(chunks))).toBe(sha256(bytes));
        } finally {
          await second.close();
        }
      } finally {
        if (schema) await dropSchema(schema);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
