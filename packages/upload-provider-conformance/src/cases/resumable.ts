import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ResumableSessions, StoredFile, UploadProvider } from 'upload-provider';
import { sha256 } from '../bytes.js';
import { makeProvider } from '../runner.js';
import { assertGone, assertStored, expectCode } from './assert.js';
import { group, type Plan, type SuiteShape } from './plan.js';

const MiB = 1024 * 1024;

function sessionsOf(provider: UploadProvider): ResumableSessions {
  const sessions = (provider as UploadProvider & { resumable?: ResumableSessions }).resumable;
  assert.ok(sessions, 'capabilities.resumable is true, so provider.resumable must be present');
  return sessions;
}

/** A body that delivers `bytes` and then fails, as a dropped connection does. */
function brokenBody(bytes: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) {
        this.destroy(new Error('connection reset'));
        return;
      }
      sent = true;
      this.push(bytes);
    },
  });
}

/** Random bytes, held whole: a few MiB, so each piece can be sent again from any offset. */
async function bytesOf(size: number): Promise<Buffer> {
  return randomBytes(size);
}

export function resumableCases(s: SuiteShape): Plan {
  const g = group('resumable');
  const size = Math.max(s.largeFileBytes, 6 * MiB);

  g.test('a session survives a new provider instance; each append reports its exact offset', async (ctx) => {
    const bytes = await bytesOf(size);
    const key = ctx.key('resumable.bin');
    const first = sessionsOf(ctx.provider);
    let state = await first.create({ key, mime: 'application/octet-stream', name: 'resumable.bin', size });
    // Pieces smaller and larger than any part size, one of them cut off mid-way.
    let offset = 0;
    const one = await first.append({ key, state }, Readable.from([bytes.subarray(0, 1)]), { offset });
    assert.equal(one.offset, 1, 'one byte appended at 0 must report offset 1');
    ({ state, offset } = one);
    const broken = await first.append({ key, state }, brokenBody(bytes.subarray(1, 3 * MiB + 7)), { offset });
    assert.ok(
      broken.offset >= offset && broken.offset <= 3 * MiB + 7,
      `a body that broke off must resolve with the bytes kept (between ${offset} and ${3 * MiB + 7}), got ${broken.offset}`,
    );
    ({ state, offset } = broken);
    // A new instance, as after a restart: only the key and the state carry over.
    const second = await makeProvider(ctx.options);
    try {
      const sessions = sessionsOf(second);
      const rest = await sessions.append({ key, state }, Readable.from([bytes.subarray(offset)]), { offset });
      assert.equal(rest.offset, size, `appending the rest must reach ${size}, got ${rest.offset}`);
      const stored: StoredFile = await sessions.complete({ key, state: rest.state }, { size });
      ctx.track(stored.key, stored.providerMetadata);
      assert.equal(stored.key, key, 'complete must store under the session key');
      await assertStored(ctx, stored, sha256(bytes), size);
    } finally {
      await second.close?.();
    }
  });

  g.test('many appends shorter than a part make one object', async (ctx) => {
    const bytes = await bytesOf(size);
    const key = ctx.key('pieces.bin');
    const sessions = sessionsOf(ctx.provider);
    let state = await sessions.create({ key, mime: 'application/octet-stream', name: 'pieces.bin' });
    const piece = Math.ceil(size / 5);
    for (let offset = 0; offset < size; offset += piece) {
      const got = await sessions.append({ key, state }, Readable.from([bytes.subarray(offset, offset + piece)]), {
        offset,
      });
      assert.equal(got.offset, Math.min(size, offset + piece), 'each append must report the bytes held');
      state = got.state;
    }
    const stored = await sessions.complete({ key, state }, { size });
    ctx.track(stored.key, stored.providerMetadata);
    await assertStored(ctx, stored, sha256(bytes), size);
  });

  g.test('a small file in one append, and an offset or size the session does not hold, are told apart', async (ctx) => {
    const bytes = Buffer.from('a small resumable file');
    const key = ctx.key('small.txt');
    const sessions = sessionsOf(ctx.provider);
    const state = await sessions.create({ key, mime: 'text/plain', name: 'small.txt', size: bytes.length });
    await expectCode(
      sessions.append({ key, state }, Readable.from([bytes]), { offset: 5 }),
      ['INVALID_INPUT'],
      'append at an offset the session does not hold',
    );
    const got = await sessions.append({ key, state }, Readable.from([bytes]), { offset: 0 });
    assert.equal(got.offset, bytes.length);
    await expectCode(
      sessions.complete({ key, state: got.state }, { size: bytes.length + 1 }),
      ['INTEGRITY'],
      'complete with a size the session does not hold',
    );
    const stored = await sessions.complete({ key, state: got.state }, { size: bytes.length });
    ctx.track(stored.key, stored.providerMetadata);
    await assertStored(ctx, stored, sha256(bytes), bytes.length);
  });

  g.test('an aborted session leaves nothing, and aborting again resolves', async (ctx) => {
    const key = ctx.key('aborted.bin');
    const sessions = sessionsOf(ctx.provider);
    const state = await sessions.create({ key, mime: 'application/octet-stream', name: 'aborted.bin' });
    const got = await sessions.append({ key, state }, Readable.from([Buffer.alloc(MiB, 7)]), { offset: 0 });
    await sessions.abort({ key, state: got.state });
    await sessions.abort({ key, state: got.state });
    await assertGone(ctx, { key });
  });

  return g.plan;
}
