// The storage or the database going away while the server runs: every request still gets an answer (503 with
// Retry-After in the envelope, never a hang or a crash), /_ready says which one is away, and the server recovers on
// its own when they return. Real s3rver stopped and started on the same port; PostgreSQL connections cut by
// pg_terminate_backend and by a relay that closes its port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { awsS3Provider } from 'upload-provider-aws-s3';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { form, json } from './helpers/http.js';
import { type PgRelay, type StoppableS3, startPgRelay, startStoppableS3 } from './helpers/outages.js';
import { dropSchema, freshSchema, PG_TEST_URL, postgresAvailable } from './helpers/pg.js';

const describePg = postgresAvailable() ? describe : describe.skip;

describePg('a server whose storage or database goes away (PostgreSQL, s3rver)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'upload-server-faults-'));
  const schema = freshSchema();
  const target = new URL(PG_TEST_URL);
  let s3: StoppableS3;
  let relay: PgRelay;
  let app: FastifyInstance;
  let url: string;
  let admin: pg.Client;

  beforeAll(async () => {
    s3 = await startStoppableS3('faults');
    relay = await startPgRelay({ host: target.hostname, port: Number(target.port || 5432) });
    const relayed = new URL(PG_TEST_URL);
    relayed.port = String(relay.port);
    const config = parseConfig({
      host: '127.0.0.1',
      port: 0,
      dataDir: dir,
      logLevel: 'silent',
      database: { url: relayed.toString(), schema, poolSize: 4 },
    });
    app = await buildApp(config, {
      logger: false,
      provider: awsS3Provider(s3.providerOptions as Parameters<typeof awsS3Provider>[0]),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await app?.close();
    await admin?.end();
    await relay?.close();
    await s3?.close();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  const upload = async (name: string) => {
    const res = await fetch(`${url}/api/upload`, { method: 'POST', body: form([{ filename: name, content: name }]) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await json(res) };
  };
  const ready = async () => {
    const res = await fetch(`${url}/_ready`);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await json(res) };
  };
  /** Calls `attempt` until it gives 201/200 (at most `times`), and returns every answer on the way. */
  const untilOk = async (attempt: () => Promise<{ status: number }>, times = 20) => {
    const answers: Array<{ status: number }> = [];
    for (let i = 0; i < times; i++) {
      const answer = await attempt();
      answers.push(answer);
      if (answer.status < 300) return answers;
      await new Promise((r) => setTimeout(r, 250));
    }
    return answers;
  };

  test('with both up: ready, and uploads work', async () => {
    expect((await ready()).status).toBe(200);
    expect((await upload('first.txt')).status).toBe(201);
  });

  test('storage stopped: uploads and /_ready answer 503 with Retry-After; reads from the database still work', async () => {
    await s3.stop();
    try {
      const refused = await upload('while-down.txt');
      expect(refused).toMatchObject({
        status: 503,
        retryAfter: '5',
        body: { data: null, error: { status: 503, details: { code: 'UNAVAILABLE', retryAfter: 5 } } },
      });
      const r = await ready();
      expect(r).toMatchObject({ status: 503, retryAfter: '5', body: { status: 'unavailable' } });
      expect(r.body.provider.ok).toBe(false);
      expect(r.body.database.ok).toBe(true);
      expect((await fetch(`${url}/api/upload/files`)).status).toBe(200);
    } finally {
      await s3.start();
    }
    // Back on its own: no restart of the server.
    const answers = await untilOk(() => upload('after-storage.txt'));
    expect(answers.at(-1)!.status).toBe(201);
    expect((await ready()).status).toBe(200);
  });

  test('its PostgreSQL connections terminated: at most 503s with Retry-After, then it carries on', async () => {
    expect((await fetch(`${url}/api/upload/files`)).status).toBe(200);
    const ports = relay.upstreamPorts();
    expect(ports.length).toBeGreaterThan(0);
    const { rows } = await admin.query(
      'select pg_terminate_backend(pid) as done from pg_stat_activity where client_port = any($1::int[])',
      [ports],
    );
    expect(rows.length).toBe(ports.length);
    const answers = await untilOk(() => upload('after-terminate.txt'));
    expect(answers.at(-1)!.status).toBe(201);
    for (const a of answers.slice(0, -1)) expect(a).toMatchObject({ status: 503, retryAfter: '5' });
  });

  test('PostgreSQL refusing connections: 503 with Retry-After (no hang), /_ready names it, recovery after', async () => {
    await relay.refuse();
    try {
      const refused = await upload('no-database.txt');
      expect(refused).toMatchObject({
        status: 503,
        retryAfter: '5',
        body: { error: { status: 503, details: { code: 'DATABASE_UNAVAILABLE', retryAfter: 5 } } },
      });
      const list = await fetch(`${url}/api/upload/files`);
      expect(list.status).toBe(503);
      const r = await ready();
      expect(r.status).toBe(503);
      expect(r.body.database.ok).toBe(false);
      expect(r.body.provider.ok).toBe(true);
    } finally {
      await relay.accept();
    }
    const answers = await untilOk(() => upload('after-refusal.txt'));
    expect(answers.at(-1)!.status).toBe(201);
    expect((await ready()).status).toBe(200);
  });

  test('nothing a failed upload began is left: every object in the bucket is a row, every row an object', async () => {
    const list = await json(await fetch(`${url}/api/upload/files`));
    const names = (list as Array<{ name: string }>).map((f) => f.name).sort();
    expect(names).toEqual(['after-refusal.txt', 'after-storage.txt', 'after-terminate.txt', 'first.txt']);
    expect((await s3.keys()).length).toBe(names.length);
  });
});
