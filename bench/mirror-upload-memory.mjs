// Benchmark (not a test): does a mirrored upload's memory grow with the file? One generated stream (never held
// whole) goes through upload-provider-mirror to the local disk and to s3rver (in a child process) at once, at a small
// and a large size; the baseline is the same stream uploaded to the local disk alone, in the same run. Reports each
// run's peak RSS, its growth over the idle RSS, and throughput; every object is read back and compared (SHA-256).
// Run: pnpm build, then pnpm --filter upload-provider-bench bench:mirror-memory
// Options (environment): BENCH_MIRROR_MIB (default "64,512").
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { localProvider } from 'upload-provider-local';
import { mirrorProvider } from 'upload-provider-mirror';
import { idleRss, measure } from './support/memory.mjs';
import { startS3rver } from './support/s3rver.mjs';

const MiB = 1024 * 1024;
const sizes = (process.env.BENCH_MIRROR_MIB ?? '64,512').split(',').map(Number);

/** `bytes` of a repeating pseudo-random pattern in 1 MiB chunks, produced as read; `hash` once it has ended. */
function generated(bytes) {
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const hash = createHash('sha256');
  let left = bytes;
  const stream = new Readable({
    read() {
      if (left === 0) return this.push(null);
      const chunk = Buffer.from(block.subarray(0, Math.min(MiB, left)));
      chunk.writeUInt32LE(left, 0); // every chunk differs
      left -= chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

async function sha(stream) {
  const hash = createHash('sha256');
  for await (const c of stream) hash.update(c);
  return hash.digest('hex');
}

const work = await mkdtemp(join(tmpdir(), 'bench-mirror-'));
const s3 = await startS3rver(join(work, 's3rver'), ['mirror']);
try {
  const local = localProvider({ root: join(work, 'local'), baseUrl: 'http://127.0.0.1/uploads' });
  const mirror = mirrorProvider({
    primary: { name: 'local', options: { root: join(work, 'local'), baseUrl: 'http://127.0.0.1/uploads' } },
    mirrors: [{ name: 'aws-s3', options: s3.options('mirror') }],
  });
  const warm = await mirror.upload({
    key: 'warm.bin',
    body: Buffer.alloc(1024),
    mime: 'application/octet-stream',
    name: 'w',
  });
  await mirror.delete(warm);

  const rows = [];
  let ok = true;
  for (const mib of sizes) {
    for (const [label, provider] of [
      ['local alone (baseline)', local],
      ['mirror: local + s3rver', mirror],
    ]) {
      const idle = await idleRss();
      const { stream, digest } = generated(mib * MiB);
      const run = await measure(() =>
        provider.upload({
          key: `bench/${mib}.bin`,
          body: stream,
          size: mib * MiB,
          mime: 'application/octet-stream',
          name: 'b',
        }),
      );
      const expected = digest();
      const copies = provider === mirror ? [mirror.primary, mirror.mirrors[0]] : [local];
      for (const p of copies) ok &&= (await sha(await p.read({ key: `bench/${mib}.bin` }))) === expected;
      await provider.delete(run.result);
      rows.push({
        run: label,
        'file MiB': mib,
        'MiB/s': (mib / run.seconds).toFixed(0),
        'idle RSS MiB': (idle / MiB).toFixed(1),
        'peak RSS MiB': (run.peak / MiB).toFixed(1),
        'growth MiB': ((run.peak - idle) / MiB).toFixed(1),
      });
    }
  }
  await mirror.close();
  console.log(`Mirrored upload memory; Node ${process.version}; s3rver in a child process`);
  console.table(rows);
  console.log(`every copy read back byte for byte (SHA-256): ${ok ? 'yes' : 'NO'}`);
  if (!ok) process.exitCode = 1;
} finally {
  await s3.stop();
  await rm(work, { recursive: true, force: true });
}
