// Two servers on one PostgreSQL (and one disk), as a fleet behind a load balancer: a PATCH to one upload on one server
// holds the upload's advisory lock, so a PATCH to the same upload on the other server waits for it, then finds the
// offset moved (409) instead of writing over the first.
import { readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { TUS_LOCK_SPACE } from '../src/resumable/locker.js';
import { dropSchema, freshSchema, PG_TEST_URL, postgresAvailable } from './helpers/pg.js';
import { startServer, type TestServer } from './helpers/server.js';
import { randomFile, tusMetadata, tusRequest } from './helpers/tus.js';

const run = postgresAvailable() ? describe : describe.skip;

run('tus on a fleet of servers (PostgreSQL)', () => {
  const schema = freshSchema();
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startServer({ kind: 'postgres', schema });
    // The second server shares the first one's data folder (its local provider's files) and database schema.
    b = await startServer({ kind: 'postgres', schema, dir: a.dir });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await dropSchema(schema);
  });

  const advisoryLocks = async (): Promise<number> => {
    const client = new pg.Client({ connectionString: PG_TEST_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        "select count(*) as n from pg_locks where locktype = 'advisory' and classid = $1",
        [TUS_LOCK_SPACE],
      );
      return Number(rows[0]!.n);
    } finally {
      await client.end();
    }
  };

  test('a PATCH on the second server waits for the first one, then gets 409 at the stale offset', async () => {
    const created = await tusRequest(`${a.url}/api/upload/tus`, 'POST', {
      'upload-length': '4096',
      'upload-metadata': tusMetadata({ filename: 'fleet.bin' }),
    });
    const path = new URL(created.headers.get('location')!, a.url).pathname;
    // A first chunk, so the contended ones are past the type check at the head (which waits for 4100 bytes).
    const head = randomFile(100);
    const chunk = { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' };
    expect((await tusRequest(`${a.url}${path}`, 'PATCH', chunk, head)).status).toBe(204);
    const bytes = randomFile(2048);

    // Server A: a PATCH whose body is still arriving (half sent).
    const first = httpRequest(`${a.url}${path}`, {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-offset': '100',
        'content-type': 'application/offset+octet-stream',
        'content-length': String(bytes.length),
      },
    });
    const firstStatus = new Promise<number>((resolve, reject) => {
      first.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      first.on('error', reject);
    });
    first.write(bytes.subarray(0, 1024));
    // Until A is writing (its first bytes are in the partial file): it holds the upload's lock.
    const partials = join(a.dir, 'uploads', '.upload-provider-local', 'resumable');
    const written = () => readdirSync(partials).some((name) => statSync(join(partials, name)).size > 100);
    while (!written()) await new Promise((r) => setTimeout(r, 20));
    expect(await advisoryLocks()).toBe(1);

    // Server B: the same upload at the same offset, while A still holds it.
    const second = tusRequest(
      `${b.url}${path}`,
      'PATCH',
      { 'upload-offset': '100', 'content-type': 'application/offset+octet-stream' },
      bytes,
    );
    first.end(bytes.subarray(1024));
    expect(await firstStatus).toBe(204);
    expect((await second).status).toBe(409);
    const after = await tusRequest(`${b.url}${path}`, 'HEAD');
    expect(after.headers.get('upload-offset')).toBe('2148');
    expect(await advisoryLocks()).toBe(0);
  });
});
