import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { isProviderError } from 'upload-provider';
import { HttpError } from '../src/errors.js';
import { json } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { forEachDatabase } from './helpers/suite.js';

// `ingest` and `adopt` as other routes use them (files by secret, confirmed direct uploads), over the real local
// provider: objects are checked on the disk the provider writes to.
forEachDatabase('the ingest pipeline for other routes', (kind) => {
  let s: TestServer;
  const onDisk = (key: string) => existsSync(join(s.dir, 'uploads', key));
  beforeAll(async () => {
    s = await startServer({ kind, config: { allowedTypes: ['image/*', 'text/plain'] } });
  });
  afterAll(() => s.close());

  test('ingest with a secret: the secret is returned once and only its hash is stored', async () => {
    const { uploads, repo } = s.app.uploads;
    const row = await uploads.ingest({
      stream: Readable.from([Buffer.from('by secret')]),
      filename: 'note.txt',
      withSecret: true,
    });
    expect(row.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const stored = await repo.findFile(row.id);
    expect(stored?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.secret_hash).not.toContain(row.secret);
    expect(JSON.stringify(stored)).not.toContain(row.secret!);
  });

  test('adopt an object already in the storage: type from its bytes, dimensions, formats, then commit', async () => {
    const { provider, uploads: pipeline } = s.app.uploads;
    const png = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#777' } })
      .png()
      .toBuffer();
    const stored = await provider.upload({
      key: 'direct/pic_abc123.png',
      body: png,
      mime: 'image/png',
      name: 'pic.png',
    });
    const staged = await pipeline.adopt({
      key: stored.key,
      providerMetadata: stored.providerMetadata ?? null,
      filename: 'Holiday pic.png',
      claimedMime: 'image/png',
      size: png.length,
      folderPath: 'direct',
    });
    const row = await pipeline.commit(staged, { fileInfo: { caption: 'adopted' } });
    const res = await fetch(`${s.url}/api/upload/files/${row.id}`);
    expect(await json(res)).toMatchObject({
      name: 'Holiday pic.png',
      hash: 'pic_abc123',
      mime: 'image/png',
      width: 900,
      height: 600,
      caption: 'adopted',
      folderPath: '/direct',
      url: '/uploads/direct/pic_abc123.png',
    });
    expect(onDisk('direct/thumbnail_pic_abc123.png')).toBe(true);
    await fetch(`${s.url}/api/upload/files/${row.id}`, { method: 'DELETE' });
    expect(onDisk('direct/pic_abc123.png')).toBe(false);
    expect(onDisk('direct/thumbnail_pic_abc123.png')).toBe(false);
  });

  test('adopt refuses bytes the lists do not allow (HTML claimed as PNG) and removes the object', async () => {
    const { provider, uploads: pipeline } = s.app.uploads;
    const stored = await provider.upload({
      key: 'direct/fake_1.png',
      body: Buffer.from('<!doctype html><html><script>x()</script></html>'),
      mime: 'image/png',
      name: 'fake.png',
    });
    expect(onDisk('direct/fake_1.png')).toBe(true);
    const error = await pipeline
      .adopt({ key: stored.key, filename: 'fake.png', claimedMime: 'image/png' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(415);
    expect((error as HttpError).message).toMatch(/text\/html/);
    expect(onDisk('direct/fake_1.png')).toBe(false);
  });

  test('a body that fails after its type was sniffed, while its key is journalled, is refused (400), not left hanging', async () => {
    const { uploads, repo } = s.app.uploads;
    let sent = false;
    const source = new Readable({
      read() {
        if (sent) return;
        sent = true;
        this.push(Buffer.alloc(8192, 0x61));
        // Fires once the head is sniffed, while the pipeline waits for the journal's write, before the body flows.
        setImmediate(() => this.destroy(new Error('connection reset')));
      },
    });
    const error = await uploads.ingest({ stream: source, filename: 'cut.txt' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    expect(await repo.journal.pendingBefore(new Date(Date.now() + 60_000), 100)).toEqual([]);
  });

  test('adopt of a missing object rejects with NOT_FOUND', async () => {
    const error = await s.app.uploads.uploads.adopt({ key: 'direct/none.txt', filename: 'none.txt' }).catch((e) => e);
    expect(isProviderError(error, 'NOT_FOUND')).toBe(true);
  });
});
