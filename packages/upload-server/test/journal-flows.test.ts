import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { ProviderError, type UploadProvider } from 'upload-provider';
import { sweepOrphans } from '../src/uploads/orphans.js';
import { type Credentials, storageForm } from './helpers/direct.js';
import { form, json } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { forEachDatabase } from './helpers/suite.js';

// Every way in and out of the pipeline ends with nothing pending in the journal (a row owns the objects, or they are
// gone); a delete the storage refuses leaves the keys pending, and the sweep finishes it.
forEachDatabase('the journal after each flow', (kind) => {
  let s: TestServer;
  let png: Buffer;
  let refuseDeletes = false;
  const onDisk = (key: string) => existsSync(join(s.dir, 'uploads', key));
  const pending = async () =>
    (await s.app.uploads.db.selectFrom('upload_journal').select('object_key').execute()).map((r) => r.object_key);
  const upload = async (body: FormData, query = '') => {
    const res = await fetch(`${s.url}/api/upload${query}`, { method: 'POST', body });
    return { status: res.status, body: await json(res) };
  };

  beforeAll(async () => {
    png = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();
    s = await startServer({ kind, config: { allowedTypes: ['image/*', 'text/plain'] } });
    // The server's own local provider, with deletes that fail on demand (the storage being down).
    const provider = s.app.uploads.provider as UploadProvider;
    const realDelete = provider.delete.bind(provider);
    provider.delete = async (ref) => {
      if (refuseDeletes) throw new ProviderError('UNAVAILABLE', 'the storage is down');
      return realDelete(ref);
    };
  });
  afterAll(() => s.close());
  beforeEach(() => {
    refuseDeletes = false;
  });

  test('upload, replace and delete leave nothing pending, and the objects follow the rows', async () => {
    const up = await upload(form([{ filename: 'red.png', content: png, type: 'image/png' }]));
    expect(up.status).toBe(201);
    const [file] = up.body;
    expect(Object.keys(file.formats)).toEqual(expect.arrayContaining(['thumbnail', 'small']));
    expect(await pending()).toEqual([]);

    const replaced = await upload(form([{ filename: 'note.txt', content: 'now text' }]), `?id=${file.id}`);
    expect(replaced.status).toBe(200);
    expect(await pending()).toEqual([]);
    expect(onDisk(file.url.replace('/uploads/', ''))).toBe(false);

    const del = await fetch(`${s.url}/api/upload/files/${file.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await pending()).toEqual([]);
    expect(onDisk(replaced.body.url.replace('/uploads/', ''))).toBe(false);
  });

  test('a refused upload leaves nothing pending', async () => {
    const res = await upload(form([{ filename: 'doc.pdf', content: '%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n' }]));
    expect(res.status).toBe(415);
    expect(await pending()).toEqual([]);
  });

  test('a direct upload confirmed, and one refused at its confirm, leave nothing pending', async () => {
    for (const [content, status] of [
      [png, 201],
      [Buffer.from('not an image at all'), 415],
    ] as const) {
      const ask = await fetch(`${s.url}/api/upload/direct`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'direct.png', mime: 'image/png', size: content.length }),
      });
      const c = (await json(ask)) as Credentials;
      const sent = await fetch(new URL(c.url, s.url), { method: c.method, body: storageForm(c, content, 'image/png') });
      expect(sent.ok).toBe(true);
      const done = await fetch(`${s.url}/api/upload/direct/${c.uploadId}/complete`, { method: 'POST' });
      expect(done.status).toBe(status);
      expect(await pending()).toEqual([]);
      expect(onDisk(c.key)).toBe(status === 201);
    }
  });

  const sweepNow = () => {
    const { db, dialect, repo, provider, log } = s.app.uploads;
    return sweepOrphans(
      { db, dialect, journal: repo.journal, provider, tempDir: s.dir, graceMs: 0, log },
      Date.now() + 1000,
    );
  };

  test('a confirm refused while the storage refuses deletes leaves the object pending; the sweep removes it', async () => {
    const bytes = Buffer.from('not an image either');
    const ask = await fetch(`${s.url}/api/upload/direct`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fake.png', mime: 'image/png', size: bytes.length }),
    });
    const c = (await json(ask)) as Credentials;
    await fetch(new URL(c.url, s.url), { method: c.method, body: storageForm(c, bytes, 'image/png') });
    refuseDeletes = true;
    const done = await fetch(`${s.url}/api/upload/direct/${c.uploadId}/complete`, { method: 'POST' });
    expect(done.status).toBe(415);
    expect(await pending()).toEqual([c.key]);
    expect(onDisk(c.key)).toBe(true);
    refuseDeletes = false;
    expect(await sweepNow()).toMatchObject({ removed: 1 });
    expect(onDisk(c.key)).toBe(false);
    expect(await pending()).toEqual([]);
  });

  test('a delete the storage refuses leaves the keys pending; the sweep removes them once it can', async () => {
    const up = await upload(form([{ filename: 'stubborn.png', content: png, type: 'image/png' }]));
    const [file] = up.body;
    const key = file.url.replace('/uploads/', '');
    refuseDeletes = true;
    const del = await fetch(`${s.url}/api/upload/files/${file.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const left = await pending();
    expect(left).toContain(key);
    expect(left).toHaveLength(1 + Object.keys(file.formats).length);
    expect(onDisk(key)).toBe(true);

    refuseDeletes = false;
    const swept = await sweepNow();
    expect(swept).toMatchObject({ removed: left.length, kept: 0 });
    expect(onDisk(key)).toBe(false);
    expect(await pending()).toEqual([]);
  });
});
