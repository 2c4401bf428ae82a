// Benchmark (not a test): memory and throughput of a large streamed multipart upload through upload-provider-aws-s3
// into s3rver, reported as ratios against baselines measured in the same run:
//   - peak RSS while uploading vs. the process's idle RSS (with the provider loaded and created), and the growth
//     vs. the bound the provider promises (queueSize × partSize);
//   - upload throughput vs. a plain fs stream copy of the same file on the same disk.
// s3rver runs in a child process, so its own memory is not counted. Run: pnpm --filter upload-provider-bench bench:s3
// Options (environment): BENCH_S3_MIB (default 300), BENCH_S3_PART_MIB (default 8), BENCH_S3_QUEUE (default 4).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { idleRss, measure } from './support/memory.mjs';
import { startS3rver } from './support/s3rver.mjs';

const MiB = 1024 * 1024;
const BUCKET = 'bench';

await main();

async function writeRandomFile(path, bytes) {
  const hash = createHash('sha256');
  async function* chunks() {
    for (let left = bytes; left > 0; left -= MiB) {
      const chunk = randomBytes(Math.min(MiB, left));
      hash.update(chunk);
      yield chunk;
    }
  }
  await pipeline(chunks(), createWriteStream(path, { highWaterMark: MiB }));
  return hash.digest('hex');
}

async function hashStream(stream) {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { hash: hash.digest('hex'), size };
}

async function main() {
  const sizeMiB = Number(process.env.BENCH_S3_MIB ?? 300);
  const partSize = Number(process.env.BENCH_S3_PART_MIB ?? 8) * MiB;
  const queueSize = Number(process.env.BENCH_S3_QUEUE ?? 4);
  const bytes = sizeMiB * MiB;
  const work = await mkdtemp(join(tmpdir(), 'bench-s3-'));
  const emulator = await startS3rver(join(work, 's3rver'), [BUCKET]);
  try {
    const source = join(work, 'source.bin');
    const expected = await writeRandomFile(source, bytes);

    const { awsS3Provider } = await import('upload-provider-aws-s3');
    const provider = awsS3Provider({
      bucket: BUCKET,
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      partSize,
      queueSize,
    });
    // Warm up the client (sockets, credentials, endpoint resolution) so the idle figure includes them.
    await provider.upload({
      key: 'warm-up.bin',
      body: randomBytes(1024),
      mime: 'application/octet-stream',
      name: 'w.bin',
    });
    const idle = await idleRss();

    const copy = await measure(() => pipeline(createReadStream(source), createWriteStream(join(work, 'copy.bin'))));
    await rm(join(work, 'copy.bin'));

    const sized = await measure(() =>
      provider.upload({
        key: 'bench/sized.bin',
        body: createReadStream(source),
        size: bytes,
        mime: 'application/octet-stream',
        name: 'sized.bin',
      }),
    );
    const sizedBack = await hashStream(await provider.read({ key: 'bench/sized.bin' }));
    await provider.delete({ key: 'bench/sized.bin' });

    const idleAgain = await idleRss();
    const unknown = await measure(() =>
      provider.upload({
        key: 'bench/unknown.bin',
        body: createReadStream(source),
        mime: 'application/octet-stream',
        name: 'unknown.bin',
      }),
    );
    const unknownBack = await hashStream(await provider.read({ key: 'bench/unknown.bin' }));
    await provider.delete({ key: 'bench/unknown.bin' });
    await provider.delete({ key: 'warm-up.bin' });
    await provider.close();

    const mib = (n) => (n / MiB).toFixed(1);
    const rate = (s) => bytes / MiB / s;
    const bound = partSize * queueSize;
    const report = (label, run, base) => ({
      label,
      seconds: run.seconds.toFixed(2),
      'MiB/s': rate(run.seconds).toFixed(0),
      'throughput vs fs copy': (rate(run.seconds) / rate(copy.seconds)).toFixed(2),
      'peak RSS MiB': mib(run.peak),
      'peak / idle RSS': (run.peak / base).toFixed(2),
      'growth MiB': mib(run.peak - base),
      'growth / (queueSize × partSize)': ((run.peak - base) / bound).toFixed(2),
    });
    console.log(
      `S3 multipart upload of ${sizeMiB} MiB into s3rver (child process); partSize ${mib(partSize)} MiB, queueSize ${queueSize}, ` +
        `bound ${mib(bound)} MiB; idle RSS ${mib(idle)} MiB; Node ${process.version}, ${(await stat(source)).size} bytes`,
    );
    console.table([
      {
        label: 'fs stream copy (baseline)',
        seconds: copy.seconds.toFixed(2),
        'MiB/s': rate(copy.seconds).toFixed(0),
        'throughput vs fs copy': '1.00',
        'peak RSS MiB': mib(copy.peak),
        'peak / idle RSS': (copy.peak / idle).toFixed(2),
        'growth MiB': mib(copy.peak - idle),
        'growth / (queueSize × partSize)': '',
      },
      report('upload, declared size', sized, idle),
      report('upload, unknown size', unknown, idleAgain),
    ]);
    const ok =
      sizedBack.hash === expected &&
      unknownBack.hash === expected &&
      sizedBack.size === bytes &&
      unknownBack.size === bytes;
    console.log(`read back byte for byte (SHA-256): ${ok ? 'yes' : 'NO'}`);
    if (!ok) process.exitCode = 1;
  } finally {
    emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
}
