import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { buildKey, isProviderError, ProviderError, type StoredFile, type UploadProvider } from 'upload-provider';
import { type MirrorProvider, mirrorProvider } from '../src/index.js';
import { RepairLog } from '../src/repair-log.js';
import { type LocalSite, type S3, startLocal, startS3 } from './support.js';

const MiB = 1024 * 1024;
let s3: S3;
let site: LocalSite;
let logDir: string;
const open: MirrorProvider[] = [];

beforeAll(async () => {
  [s3, site] = await Promise.all([startS3(['present']), startLocal()]);
  logDir = mkdtempSync(join(tmpdir(), 'mirror-log-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await Promise.all([s3?.close(), site?.close()]);
  rmSync(logDir, { recursive: true, force: true });
});

function mirror(options: Parameters<typeof mirrorProvider>[0]): MirrorProvider {
  const p = mirrorProvider(options);
  open.push(p);
  return p;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A stream of `bytes` in 64 KiB chunks, made as it is read. */
function streamOf(bytes: Buffer): Readable {
  let at = 0;
  return new Readable({
    read() {
      const chunk = at < bytes.length ? bytes.subarray(at, at + 64 * 1024) : null;
      at += 64 * 1024;
      this.push(chunk);
    },
  });
}

async function readAll(p: UploadProvider, ref: { key: string }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await p.read!(ref)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function file(bytes: Buffer, name = 'photo.jpg') {
  return { key: buildKey(name), body: streamOf(bytes), size: bytes.length, mime: 'image/jpeg', name };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('strict mode', () => {
  test('a mirror refusing writes (no such bucket) fails the upload, and the primary keeps nothing', async () => {
    const p = mirror({ primary: site.provider(), mirrors: [s3.provider('absent')] });
    const error = await rejection(p.upload(file(randomBytes(3 * MiB))));
    expect(isProviderError(error)).toBe(true);
    expect((error as Error).message).toMatch(/aws-s3/);
    expect(site.files()).toEqual([]);
  });

  test('a mirror refusing writes (unknown access key) fails the upload with ACCESS_DENIED, leaving nothing', async () => {
    const refusing = s3.provider('present', { credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'NOBODY' } });
    const p = mirror({ primary: site.provider(), mirrors: [refusing, s3.provider('present', { prefix: 'm2' })] });
    const error = await rejection(p.upload(file(randomBytes(2 * MiB))));
    expect(isProviderError(error, 'ACCESS_DENIED')).toBe(true);
    expect(site.files()).toEqual([]);
    expect(await s3.keys('present')).toEqual([]);
  });

  test("a mirror that refuses after the primary has stored the file gets the primary's copy removed", async () => {
    const primary = site.provider();
    const s3Mirror = s3.provider('present', { prefix: 'late' });
    // Takes every byte, waits until the primary has the whole file, then refuses, as a store refusing at commit does.
    const late: UploadProvider = {
      ...s3Mirror,
      name: 'late-refusal',
      async upload(f) {
        for await (const _ of f.body as Readable);
        while ((await primary.stat({ key: f.key })) === null) await new Promise((r) => setTimeout(r, 5));
        throw new ProviderError('ACCESS_DENIED', 'refused at commit', { provider: 'late-refusal' });
      },
    };
    const p = mirror({ primary, mirrors: [late, s3Mirror] });
    expect(isProviderError(await rejection(p.upload(file(randomBytes(MiB)))), 'ACCESS_DENIED')).toBe(true);
    expect(site.files()).toEqual([]);
    expect(await s3.keys('present')).toEqual([]);
  });

  test('a delete a mirror refuses rejects, after the primary and the other mirrors deleted', async () => {
    const good = s3.provider('present');
    const p = mirror({ primary: site.provider(), mirrors: [good] });
    const stored = await p.upload(file(randomBytes(1000)));
    const refusing = mirror({
      primary: site.provider(),
      mirrors: [s3.provider('present', { credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'NOBODY' } })],
    });
    expect(isProviderError(await rejection(refusing.delete(stored)), 'ACCESS_DENIED')).toBe(true);
    expect(site.files()).toEqual([]);
    await good.delete(stored);
  });

  test('repair() is refused: strict mode records nothing', async () => {
    const p = mirror({ primary: site.provider(), mirrors: [s3.provider('present')] });
    expect(isProviderError(await rejection(p.repair()), 'UNSUPPORTED')).toBe(true);
  });
});

describe('best-effort mode', () => {
  let n = 0;
  const freshLog = () => join(logDir, `repair-${++n}.jsonl`);

  test('a mirror refusing writes is recorded, and repair() copies the file once the mirror accepts', async () => {
    const repairLog = freshLog();
    const p = mirror({
      primary: site.provider(),
      mirrors: [s3.provider('later')],
      mode: 'best-effort',
      repairLog,
    });
    const bytes = randomBytes(2 * MiB + 17);
    const stored = await p.upload(file(bytes));
    expect(sha(await readAll(p, stored))).toBe(sha(bytes));

    const records = await new RepairLog(repairLog).list();
    expect(records).toEqual([
      expect.objectContaining({
        op: 'upload',
        mirror: 0,
        provider: 'aws-s3',
        ref: expect.objectContaining({ key: stored.key }),
        mime: 'image/jpeg',
        name: 'photo.jpg',
      }),
    ]);

    // Still refusing: the record stays for the next run.
    expect(await p.repair()).toEqual({ repaired: 0, failed: 1 });
    expect(await new RepairLog(repairLog).list()).toHaveLength(1);

    await s3.createBucket('later');
    expect(await p.repair()).toEqual({ repaired: 1, failed: 0 });
    expect(await new RepairLog(repairLog).list()).toEqual([]);
    expect(sha(await readAll(p.mirrors[0]!, stored))).toBe(sha(bytes));
    expect(await p.mirrors[0]!.stat!(stored)).toEqual(
      expect.objectContaining({ size: bytes.length, mime: 'image/jpeg' }),
    );

    await p.delete(stored);
    expect(await s3.keys('later')).toEqual([]);
    expect(site.files()).toEqual([]);
  });

  test('a file deleted before the repair is removed from the mirror instead of copied', async () => {
    const repairLog = freshLog();
    const refusing = s3.provider('present', { credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'NOBODY' } });
    const p = mirror({ primary: site.provider(), mirrors: [refusing], mode: 'best-effort', repairLog });
    const stored = await p.upload(file(randomBytes(5000)));
    await p.primary.delete(stored);
    const fixed = mirror({
      primary: site.provider(),
      mirrors: [s3.provider('present')],
      mode: 'best-effort',
      repairLog,
    });
    expect(await fixed.repair()).toEqual({ repaired: 1, failed: 0 });
    expect(await s3.keys('present')).toEqual([]);
  });

  test('a delete a mirror refuses resolves, is recorded, and is repeated by repair()', async () => {
    const repairLog = freshLog();
    const good = s3.provider('present');
    const stored: StoredFile = await mirror({ primary: site.provider(), mirrors: [good] }).upload(
      file(randomBytes(900)),
    );
    const refusing = s3.provider('present', { credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'NOBODY' } });
    const p = mirror({ primary: site.provider(), mirrors: [refusing], mode: 'best-effort', repairLog });
    await p.delete(stored);
    expect(site.files()).toEqual([]);
    expect(await new RepairLog(repairLog).list()).toEqual([
      expect.objectContaining({ op: 'delete', mirror: 0, ref: expect.objectContaining({ key: stored.key }) }),
    ]);
    expect(await s3.keys('present')).toEqual([stored.key]);
    const fixed = mirror({ primary: site.provider(), mirrors: [good], mode: 'best-effort', repairLog });
    expect(await fixed.repair()).toEqual({ repaired: 1, failed: 0 });
    expect(await s3.keys('present')).toEqual([]);
  });

  test('when the repair log cannot be written, the upload is undone rather than left unrecorded', async () => {
    const p = mirror({
      primary: site.provider(),
      mirrors: [s3.provider('absent')],
      mode: 'best-effort',
      repairLog: join(logDir, 'no-such-folder', 'repair.jsonl'),
    });
    expect(isProviderError(await rejection(p.upload(file(randomBytes(4000)))), 'UNAVAILABLE')).toBe(true);
    expect(site.files()).toEqual([]);
  });

  test('a primary refusing writes still fails the upload, and the mirrors keep nothing', async () => {
    const p = mirror({
      primary: s3.provider('absent'),
      mirrors: [site.provider()],
      mode: 'best-effort',
      repairLog: freshLog(),
    });
    expect(isProviderError(await rejection(p.upload(file(randomBytes(3 * MiB)))))).toBe(true);
    expect(site.files()).toEqual([]);
  });
});

describe('streaming', () => {
  test('the source is read at the pace of the slowest provider, never far ahead of it', async () => {
    const size = 32 * MiB;
    let produced = 0;
    let consumed = 0;
    let lead = 0;
    const source = new Readable({
      read() {
        const n = Math.min(64 * 1024, size - produced);
        produced += n;
        this.push(n > 0 ? Buffer.alloc(n, 7) : null);
      },
    });
    // A provider given as an object that reads its body slowly, yielding to the event loop between chunks so a
    // source that ignored back-pressure would race ahead.
    const local = site.provider();
    const slow: UploadProvider = {
      ...local,
      name: 'slow',
      async upload(f) {
        for await (const chunk of f.body as Readable) {
          // Bytes read from the source but not yet taken by this consumer (the chunk in hand included).
          lead = Math.max(lead, produced - consumed);
          consumed += (chunk as Buffer).length;
          await new Promise((r) => setImmediate(r));
        }
        return { key: f.key, url: '', size: consumed, mime: f.mime };
      },
      async delete() {},
    };
    const p = mirror({ primary: local, mirrors: [slow] });
    const stored = await p.upload({
      key: buildKey('big.bin'),
      body: source,
      size,
      mime: 'application/octet-stream',
      name: 'big.bin',
    });
    expect(consumed).toBe(size);
    expect(lead).toBeLessThan(1 * MiB);
    await p.delete(stored);
  });

  test('an upload aborted by its signal rejects with ABORTED and leaves nothing in any store', async () => {
    const controller = new AbortController();
    let sent = 0;
    const source = new Readable({
      read() {
        sent += 64 * 1024;
        if (sent === 1 * MiB) controller.abort();
        this.push(Buffer.alloc(64 * 1024, 1));
      },
    });
    const p = mirror({ primary: site.provider(), mirrors: [s3.provider('present', { prefix: 'aborted' })] });
    const error = await rejection(
      p.upload(
        { key: buildKey('a.bin'), body: source, mime: 'application/octet-stream', name: 'a.bin' },
        { signal: controller.signal },
      ),
    );
    expect(isProviderError(error, 'ABORTED')).toBe(true);
    expect(site.files()).toEqual([]);
    expect(await s3.keys('present')).toEqual([]);
  });
});

describe('options', () => {
  test("a sub-provider's own option errors are named under its place in the mirror's options", () => {
    const error = (() => {
      try {
        mirrorProvider({
          primary: { name: 'local', options: {} },
          mirrors: [{ name: 'aws-s3', options: { bucket: '' } }],
        });
      } catch (e) {
        return e;
      }
    })();
    expect(isProviderError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toMatch(/primary\.options\.root/);
    expect((error as Error).message).toMatch(/mirrors\.0\.options\.bucket/);
  });

  test('a provider that is not installed is named with the package to install', () => {
    expect(mirrorProvider.check({ primary: 'local', mirrors: ['azure-blob'] })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          option: 'mirrors.0',
          message: expect.stringMatching(/npm install upload-provider-azure-blob/),
        }),
      ]),
    );
  });
});

describe('capabilities', () => {
  test("reads, URLs and direct uploads are the primary's; unknown sizes and empty files need every provider", async () => {
    const local = site.provider();
    const narrow: UploadProvider = {
      ...local,
      name: 'narrow',
      capabilities: {
        ...local.capabilities,
        unknownSize: false,
        emptyFiles: false,
        read: false,
        rangeRead: false,
        stat: false,
      },
    };
    const p = mirror({ primary: local, mirrors: [narrow] });
    // A mirror declares no resumable sessions (the server's generic path serves it), whatever its primary has.
    expect(p.capabilities).toEqual({
      ...local.capabilities,
      unknownSize: false,
      emptyFiles: false,
      resumable: undefined,
    });
    const q = mirror({ primary: { ...narrow, read: undefined, stat: undefined }, mirrors: [local] });
    expect(q.capabilities).toMatchObject({ read: false, stat: false, unknownSize: false, emptyFiles: false });
    expect(isProviderError(await rejection(q.read!({ key: 'a.bin' })), 'UNSUPPORTED')).toBe(true);
    expect(isProviderError(await rejection(q.stat!({ key: 'a.bin' })), 'UNSUPPORTED')).toBe(true);
  });
});
