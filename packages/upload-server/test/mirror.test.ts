import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { awsS3Provider } from 'upload-provider-aws-s3';
import { form, json } from './helpers/http.js';
import { type CountingS3, sha256, startCountingS3 } from './helpers/migrate.js';
import { databases, startServer } from './helpers/server.js';

// The transition period of a move: the server on upload-provider-mirror, its local disk as the primary (served by the
// server at /uploads, with the defaults it gives the local provider) and s3rver as the mirror.
let s3: CountingS3;
beforeAll(async () => {
  s3 = await startCountingS3('mirrored');
});
afterAll(() => s3?.close());

describe.each(databases())('the server on a mirror provider (%s)', (kind) => {
  test('an upload lands on both stores and is served from the local primary; a delete removes both', async () => {
    const server = await startServer({
      kind,
      config: {
        provider: {
          name: 'mirror',
          options: { primary: 'local', mirrors: [{ name: 'aws-s3', options: s3.options() }] },
        },
      },
    });
    const bucket = awsS3Provider(s3.options() as Parameters<typeof awsS3Provider>[0]);
    try {
      const bytes = Buffer.from(`mirrored on ${kind}`);
      const res = await fetch(`${server.url}/api/upload`, {
        method: 'POST',
        body: form([{ filename: 'note.txt', content: bytes, type: 'text/plain' }]),
      });
      expect(res.status).toBe(201);
      const [file] = await json(res);
      expect(file.provider).toBe('mirror');
      expect(file.url).toMatch(/^\/uploads\//);
      const served = await fetch(`${server.url}${file.url}`);
      expect(served.status).toBe(200);
      expect(sha256(new Uint8Array(await served.arrayBuffer()))).toBe(sha256(bytes));
      const key = file.url.replace(/^\/uploads\//, '');
      expect(await bucket.stat({ key })).toMatchObject({ size: bytes.length });

      expect((await fetch(`${server.url}/api/upload/files/${file.id}`, { method: 'DELETE' })).status).toBe(200);
      expect(await bucket.stat({ key })).toBeNull();
      expect((await fetch(`${server.url}${file.url}`)).status).toBe(404);
    } finally {
      await bucket.close();
      await server.close();
    }
  });
});
