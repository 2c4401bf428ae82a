import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { HTTPAuthorizationError, HTTPForbiddenError, HTTPNotFoundError, strapi } from '@strapi/client';
import { forEachDatabase, type Harness, startHarness } from './helpers/suite.js';

const FULL = 'client-full-token-0123456789abcdef';
const READ = 'client-read-token-0123456789abcdef';

// The official Strapi client, unchanged, against this server: every files call it makes.
forEachDatabase('@strapi/client files API', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, {
      config: {
        tokens: [
          { name: 'full', token: FULL, access: 'full-access' },
          { name: 'read', token: READ, access: 'read-only' },
        ],
      },
    });
  });
  afterAll(() => h.server.close());

  test('upload (Blob and Buffer), find with filters and sort, findOne, update, delete', async () => {
    const client = strapi({ baseURL: `${h.url}/api`, auth: FULL });
    const fromBlob = await client.files.upload(new Blob(['blob bytes'], { type: 'text/plain' }), {
      fileInfo: { name: 'from-blob.txt', alternativeText: 'alt', caption: 'cap' },
    });
    expect(fromBlob).toHaveLength(1);
    expect(fromBlob[0]).toMatchObject({
      name: 'from-blob.txt',
      alternativeText: 'alt',
      caption: 'cap',
      mime: 'text/plain',
    });
    const fromBuffer = await client.files.upload(Buffer.from('{"a":1}'), {
      filename: 'data.json',
      mimetype: 'application/json',
      fileInfo: { caption: 'json' },
    });
    expect(fromBuffer[0]).toMatchObject({ name: 'data.json', mime: 'application/json', caption: 'json' });

    const found = await client.files.find({ filters: { mime: { $eq: 'application/json' } }, sort: ['name:asc'] });
    expect(found.map((f) => f.name)).toEqual(['data.json']);

    const one = await client.files.findOne(fromBlob[0]!.id);
    expect(one).toMatchObject({ id: fromBlob[0]!.id, name: 'from-blob.txt' });

    const updated = await client.files.update(fromBlob[0]!.id, { name: 'renamed.txt', caption: 'new caption' });
    expect(updated).toMatchObject({
      id: fromBlob[0]!.id,
      name: 'renamed.txt',
      caption: 'new caption',
      alternativeText: 'alt',
    });

    const deleted = await client.files.delete(fromBuffer[0]!.id);
    expect(deleted).toMatchObject({ id: fromBuffer[0]!.id });
    await expect(client.files.findOne(fromBuffer[0]!.id)).rejects.toBeInstanceOf(HTTPNotFoundError);
  });

  test('its errors: no token → authorization error, read-only writes → forbidden', async () => {
    const anonymous = strapi({ baseURL: `${h.url}/api` });
    await expect(anonymous.files.find()).rejects.toBeInstanceOf(HTTPAuthorizationError);
    const reader = strapi({ baseURL: `${h.url}/api`, auth: READ });
    expect(Array.isArray(await reader.files.find())).toBe(true);
    await expect(reader.files.upload(new Blob(['x']), {})).rejects.toBeInstanceOf(HTTPForbiddenError);
  });
});
