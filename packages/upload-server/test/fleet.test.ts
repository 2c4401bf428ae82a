// A fleet: three real server processes (dist/cli.js) on one PostgreSQL schema and one s3rver bucket, each running
// its sweeps every half second, and a client spreading 600 mixed operations over them: multi-file uploads, replaces,
// fileInfo updates, deletes, files by secret and batch sign-urls, direct uploads requested on one server and
// confirmed on another, the same confirm and the same replace raced on two servers, and resumable (tus) uploads
// created on one server, continued on a second and finished on the third. Afterwards: no 5xx, one row per confirmed
// upload, no object in the bucket that no row names, every file's bytes the same from every server, and counts that
// match what the client did.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { type Started, startCli } from './helpers/cli.js';
import { type Credentials, storageForm } from './helpers/direct.js';
import { form, json } from './helpers/http.js';
import { type StoppableS3, startStoppableS3 } from './helpers/outages.js';
import { dropSchema, freshSchema, PG_TEST_URL, postgresAvailable } from './helpers/pg.js';

const describePg = postgresAvailable() ? describe : describe.skip;
const TOKEN = `fleet-${randomBytes(12).toString('hex')}`;
const AUTH = { authorization: `Bearer ${TOKEN}` };
const OPERATIONS = 600;
const CONCURRENCY = 12;

interface LiveFile {
  id: number;
  content: Buffer;
  alternativeText: string | null;
  secret?: string;
  /** The direct upload this file came from, while its content is still that upload's object. */
  fromUpload?: string;
  busy: boolean;
}

describePg('three servers, one PostgreSQL schema, one bucket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'upload-server-fleet-'));
  const schema = freshSchema();
  let s3: StoppableS3;
  let servers: Started[] = [];
  let db: pg.Client;
  const statuses: Array<{ op: string; status: number; server: number }> = [];
  const live = new Map<number, LiveFile>();
  const done = {
    uploaded: 0,
    replaced: 0,
    infos: 0,
    deleted: 0,
    secrets: 0,
    signed: 0,
    direct: 0,
    raced: 0,
    abandoned: 0,
    resumed: 0,
  };
  const deletedIds = new Set<number>();
  const confirmed: string[] = [];
  const abandoned: string[] = [];

  beforeAll(async () => {
    s3 = await startStoppableS3('fleet');
    const config = join(dir, 'fleet.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        host: '127.0.0.1',
        port: 0,
        dataDir: join(dir, 'data'),
        logLevel: 'info',
        database: { url: PG_TEST_URL, schema, poolSize: 6 },
        provider: { name: 'aws-s3', options: s3.providerOptions },
        tokens: [{ name: 'fleet', token: TOKEN }],
        sweepIntervalMs: 500,
        // The orphan sweep runs on every server too (one at a time, under its advisory lock): anything journalled
        // more than 30 s ago that no row names is removed, which the minute waited for below gives it time to do.
        orphanGraceMs: 30_000,
        directUploadExpiresIn: 1,
      }),
    );
    // Started together: their migrations meet on the setup lock. cwd is this package, where the aws-s3 provider is.
    servers = await Promise.all([0, 1, 2].map(() => startCli(['--config', config], { cwd: join(__dirname, '..') })));
    db = new pg.Client({ connectionString: PG_TEST_URL });
    await db.connect();
    await db.query(`set search_path to "${schema}"`);
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) s.child.kill('SIGTERM');
    const codes = await Promise.all(servers.map((s) => s.exited));
    expect(codes).toEqual([0, 0, 0]);
    await db?.end();
    await s3?.close();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  let turn = 0;
  const pick = () => turn++ % servers.length;
  const other = (i: number, by = 1) => (i + by) % servers.length;
  async function call(op: string, server: number, path: string, init: RequestInit = {}) {
    const res = await fetch(`${servers[server]!.url}${path}`, { ...init, headers: { ...AUTH, ...init.headers } });
    statuses.push({ op, status: res.status, server });
    return { status: res.status, body: await json(res) };
  }
  const postJson = (op: string, server: number, path: string, body: unknown) =>
    call(op, server, path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  // A fixed head: random base64 could begin with another format's magic bytes (`BM` is a BMP).
  const text = () => `fleet ${randomBytes(512 + Math.floor(Math.random() * 8192)).toString('base64')}`;
  /** A live file no other operation is using, taken for the caller; undefined when there is none. */
  function take(filter: (f: LiveFile) => boolean = () => true): LiveFile | undefined {
    const candidates = [...live.values()].filter((f) => !f.busy && filter(f));
    const f = candidates[Math.floor(Math.random() * candidates.length)];
    if (f) f.busy = true;
    return f;
  }

  async function direct(kind: 'direct' | 'race' | 'abandon') {
    const content = Buffer.from(text());
    const asked = pick();
    const c = await postJson(kind, asked, '/api/upload/direct', {
      name: `${kind}.txt`,
      mime: 'text/plain',
      size: content.length,
    });
    expect(c.status).toBe(201);
    const credentials = c.body as Credentials;
    const sent = await fetch(credentials.url, {
      method: 'POST',
      body: storageForm(credentials, content, 'text/plain', 'd.txt'),
    });
    expect(sent.status).toBeLessThan(300);
    if (kind === 'abandon') {
      abandoned.push(credentials.uploadId);
      done.abandoned++;
      return;
    }
    const path = `/api/upload/direct/${credentials.uploadId}/complete`;
    const confirms =
      kind === 'race'
        ? await Promise.all([postJson(kind, other(asked, 1), path, {}), postJson(kind, other(asked, 2), path, {})])
        : [await postJson(kind, other(asked), path, {})];
    const won = confirms.filter((r) => r.status === 201);
    // Each answer with its message, so a failure says what happened.
    const seen = confirms.map(
      (r) => `${r.status} ${r.status === 201 ? '' : (r.body as { error?: { message?: string } }).error?.message}`,
    );
    expect([seen, won.length]).toEqual([seen, 1]);
    for (const lost of confirms.filter((r) => r.status !== 201)) expect(lost.status).toBe(409);
    const [entity] = won[0]!.body as Array<{ id: number }>;
    live.set(entity!.id, {
      id: entity!.id,
      content,
      alternativeText: null,
      fromUpload: credentials.uploadId,
      busy: false,
    });
    confirmed.push(credentials.uploadId);
    if (kind === 'race') done.raced++;
    else done.direct++;
  }

  const operations: Record<string, () => Promise<void>> = {
    async upload() {
      const files = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, (_, i) => ({
        filename: `f${i}.txt`,
        type: 'text/plain',
        content: text(),
      }));
      const res = await call('upload', pick(), '/api/upload', { method: 'POST', body: form(files) });
      expect(res.status).toBe(201);
      for (const [i, e] of (res.body as Array<{ id: number }>).entries()) {
        live.set(e.id, { id: e.id, content: Buffer.from(files[i]!.content), alternativeText: null, busy: false });
      }
      done.uploaded += files.length;
    },
    async replace() {
      const f = take((x) => !x.secret);
      if (!f) return operations.upload!();
      const content = text();
      const res = await call('replace', pick(), `/api/upload?id=${f.id}`, {
        method: 'POST',
        body: form([{ filename: 'new.txt', type: 'text/plain', content }]),
      });
      expect(res.status).toBe(200);
      f.content = Buffer.from(content);
      delete f.fromUpload;
      f.busy = false;
      done.replaced++;
    },
    async replaceRace() {
      const f = take((x) => !x.secret);
      if (!f) return operations.upload!();
      const contents = [text(), text()];
      const first = pick();
      const answers = await Promise.all(
        contents.map((content, i) =>
          call('replaceRace', other(first, i), `/api/upload?id=${f.id}`, {
            method: 'POST',
            body: form([{ filename: 'raced.txt', type: 'text/plain', content }]),
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      // One of the two is the file now; the other's object must be gone (checked with the bucket at the end).
      const entity = (await call('replaceRace', first, `/api/upload/files/${f.id}`)).body as { url: string };
      const now = Buffer.from(await (await fetch(entity.url)).arrayBuffer()).toString();
      expect(contents).toContain(now);
      f.content = Buffer.from(now);
      delete f.fromUpload;
      f.busy = false;
      done.replaced += 2;
    },
    async info() {
      const f = take((x) => !x.secret);
      if (!f) return operations.upload!();
      const alt = `alt ${randomBytes(4).toString('hex')}`;
      const res = await postJson('info', pick(), `/api/upload?id=${f.id}`, { fileInfo: { alternativeText: alt } });
      expect(res.status).toBe(200);
      f.alternativeText = alt;
      f.busy = false;
      done.infos++;
    },
    async delete() {
      const f = take((x) => !x.secret);
      if (!f) return operations.upload!();
      const res = await call('delete', pick(), `/api/upload/files/${f.id}`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      live.delete(f.id);
      deletedIds.add(f.id);
      done.deleted++;
    },
    async secret() {
      const content = text();
      const res = await call('secret', pick(), '/api/files', {
        method: 'POST',
        body: form([{ name: 'file', filename: 's.txt', type: 'text/plain', content }]),
      });
      expect(res.status).toBe(201);
      const { id, secret } = res.body as { id: number; secret: string };
      live.set(id, { id, content: Buffer.from(content), alternativeText: null, secret, busy: false });
      done.secrets++;
    },
    async sign() {
      const secrets = [...live.values()].filter((f) => f.secret).map((f) => f.secret!);
      const res = await postJson('sign', pick(), '/api/files/sign-urls', {
        secrets: [...secrets.slice(0, 20), 'A'.repeat(32)],
      });
      expect(res.status).toBe(200);
      const items = (res.body as { items: Array<{ url: string | null }> }).items;
      expect(items.filter((i) => i.url === null)).toHaveLength(1);
      done.signed++;
    },
    async resumable() {
      // Binary bytes (a zero first): stored as application/octet-stream, in S3's tail object until the end.
      const content = randomBytes(64 * 1024 + Math.floor(Math.random() * 256 * 1024));
      content[0] = 0;
      const half = Math.floor(content.length / 2);
      const tus = { 'tus-resumable': '1.0.0' };
      const first = pick();
      const b64 = (v: string) => Buffer.from(v).toString('base64');
      const created = await fetch(`${servers[first]!.url}/api/upload/tus`, {
        method: 'POST',
        headers: {
          ...AUTH,
          ...tus,
          'upload-length': String(content.length),
          'upload-metadata': `filename ${b64('resumed.bin')},filetype ${b64('application/octet-stream')}`,
        },
      });
      statuses.push({ op: 'resumable', status: created.status, server: first });
      expect(created.status).toBe(201);
      const path = new URL(created.headers.get('location')!, servers[first]!.url).pathname;
      const patch = async (server: number, offset: number, bytes: Buffer) => {
        const res = await fetch(`${servers[server]!.url}${path}`, {
          method: 'PATCH',
          headers: {
            ...AUTH,
            ...tus,
            'upload-offset': String(offset),
            'content-type': 'application/offset+octet-stream',
          },
          body: bytes,
        });
        statuses.push({ op: 'resumable', status: res.status, server });
        const raw = await res.text();
        return { status: res.status, offset: res.headers.get('upload-offset'), body: raw ? JSON.parse(raw) : null };
      };
      const started = await patch(first, 0, content.subarray(0, half));
      expect([started.status, started.offset]).toEqual([204, String(half)]);
      // Another server knows where it stands (the state is in PostgreSQL) ...
      const head = await fetch(`${servers[other(first)]!.url}${path}`, {
        method: 'HEAD',
        headers: { ...AUTH, ...tus },
      });
      statuses.push({ op: 'resumable', status: head.status, server: other(first) });
      expect(head.headers.get('upload-offset')).toBe(String(half));
      // ... and a third one finishes it.
      const finished = await patch(other(first, 2), half, content.subarray(half));
      expect(finished.status).toBe(200);
      const [entity] = finished.body as Array<{ id: number }>;
      live.set(entity!.id, { id: entity!.id, content, alternativeText: null, busy: false });
      done.resumed++;
    },
    direct: () => direct('direct'),
    race: () => direct('race'),
    abandon: () => direct('abandon'),
  };
  const MIX: Array<[string, number]> = [
    ['upload', 120],
    ['resumable', 30],
    ['replace', 60],
    ['replaceRace', 20],
    ['info', 80],
    ['delete', 60],
    ['secret', 40],
    ['sign', 50],
    ['direct', 80],
    ['race', 40],
    ['abandon', 20],
  ];

  test('600 mixed operations spread over the three servers, while each sweeps', async () => {
    const plan = MIX.flatMap(([op, n]) => Array<string>(n).fill(op));
    expect(plan).toHaveLength(OPERATIONS);
    // Uploads first so the others find files; then the rest in a shuffled order.
    plan.sort((a, b) => Number(b === 'upload') - Number(a === 'upload') || Math.random() - 0.5);
    const head = plan.splice(0, 30);
    plan.sort(() => Math.random() - 0.5);
    plan.unshift(...head);
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < plan.length) await operations[plan[next++]!]!();
      }),
    );
    expect(statuses.filter((s) => s.status >= 500)).toEqual([]);
    // Every server took part.
    for (const i of [0, 1, 2]) expect(statuses.some((s) => s.server === i)).toBe(true);
  }, 600_000);

  test('one row per confirmed direct upload; the raced confirms recorded once', async () => {
    const { rows } = await db.query(
      `select d.id, d.status, count(f.id)::int as files from direct_uploads d
       left join files f on f.object_key = d.object_key group by d.id, d.status`,
    );
    const byId = new Map(rows.map((r) => [r.id as string, r as { id: string; status: string; files: number }]));
    // Never two rows for one upload; and each confirmed upload whose file was not replaced or deleted since has its row.
    expect(rows.filter((r) => r.files > 1)).toEqual([]);
    for (const id of confirmed) expect(byId.get(id)?.status).toBe('completed');
    const kept = [...live.values()].filter((f) => f.fromUpload).map((f) => f.fromUpload!);
    expect(kept.length).toBeGreaterThan(0);
    for (const id of kept) expect(byId.get(id)).toEqual({ id, status: 'completed', files: 1 });
    expect(confirmed).toHaveLength(done.direct + done.raced);
    expect(new Set(confirmed).size).toBe(confirmed.length);
  });

  test('the counts match what the client did', async () => {
    const { rows } = await db.query('select count(*)::int as n, count(secret_hash)::int as secrets from files');
    expect(rows[0]).toEqual({ n: live.size, secrets: done.secrets });
    expect(done.uploaded + done.secrets + done.direct + done.raced + done.resumed - done.deleted).toBe(live.size);
    expect(done.resumed).toBe(30);
    // Every resumable upload finished, each recorded as exactly one live file.
    const tus = await db.query('select status, file_id from tus_uploads');
    expect(tus.rows.filter((r) => r.status === 'active')).toEqual([]);
    const tusFiles = tus.rows.map((r) => Number(r.file_id));
    expect(new Set(tusFiles).size).toBe(30);
    for (const id of tusFiles) expect(live.has(id) || deletedIds.has(id)).toBe(true);
  });

  test('the sweeps of the three servers expire every abandoned direct upload and remove its object, once', async () => {
    // Credentials live 1 s, then the confirm grace period (a minute); the sweeps take them after that.
    let pending = abandoned.length;
    for (let i = 0; i < 120 && pending > 0; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const { rows } = await db.query(`select count(*)::int as n from direct_uploads where status = 'pending'`);
      pending = rows[0].n;
    }
    expect(pending).toBe(0);
    const { rows } = await db.query(`select id from direct_uploads where status = 'expired' order by id`);
    expect(rows.map((r) => r.id)).toEqual([...abandoned].sort());
  }, 180_000);

  test('no object in the bucket that no row names, and none missing', async () => {
    const { rows } = await db.query('select object_key from files');
    expect((await s3.keys()).sort()).toEqual(rows.map((r) => r.object_key as string).sort());
  });

  test('every file, from every server: the same entity and the bytes the client last sent', async () => {
    for (const f of live.values()) {
      if (f.secret) {
        for (const s of servers) {
          const res = await fetch(`${s.url}/api/files/${f.secret}`, { headers: AUTH });
          expect(Buffer.from(await res.arrayBuffer()).equals(f.content)).toBe(true);
        }
        continue;
      }
      const entities = await Promise.all(
        servers.map(async (s) => json(await fetch(`${s.url}/api/upload/files/${f.id}`, { headers: AUTH }))),
      );
      // The storage is private: each server signs its own URL (the signature has the time in it).
      const [first, ...rest] = entities.map(({ url, ...entity }) => entity);
      for (const entity of rest) expect(entity).toEqual(first);
      expect((first as { alternativeText: string | null }).alternativeText).toBe(f.alternativeText);
      for (const { url } of entities as Array<{ url: string }>) {
        const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
        expect(bytes.equals(f.content)).toBe(true);
      }
    }
  }, 300_000);
});
