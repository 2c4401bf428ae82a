// Benchmark (not a test): does upload-server's memory grow with the size of an upload? It starts the built server
// (SQLite, the local-disk provider) in a child process and POSTs one streamed multipart upload to /api/upload per
// size, sampling the server process's resident memory (VmRSS, every 5 ms) during each. It reports each upload's peak
// over the baseline RSS measured after a 4 MiB warm-up upload, and the ratio of that growth for each file to the
// growth for the smallest (same run): far below the size ratio means memory does not follow file size. Bytes are
// random (no image work).
// Run: pnpm exec turbo run build --filter=upload-server..., then pnpm --filter upload-provider-bench bench:upload-memory
// Options (environment): BENCH_UPLOAD_MIB (default "16,64,256").
import { randomFillSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { rss, runAsServerChild, startServerChild } from './server-child.mjs';

const MiB = 1024 * 1024;
if (!(await runAsServerChild(() => ({ sizeLimit: 2048 * MiB })))) await main();

/** A multipart body with one file part of `bytes` random bytes, produced as it is sent. */
async function* multipart(boundary, bytes) {
  yield Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="random.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const chunk = Buffer.alloc(256 * 1024);
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    randomFillSync(chunk);
    yield Buffer.from(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
  }
  yield Buffer.from(`\r\n--${boundary}--\r\n`);
}

async function upload(url, pid, bytes) {
  const before = await rss(pid);
  let peak = before;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, await rss(pid).catch(() => peak));
      await sleep(5);
    }
  })();
  const boundary = `bench${Date.now()}`;
  const started = performance.now();
  const response = await fetch(`${url}/api/upload`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: multipart(boundary, bytes),
    duplex: 'half',
  });
  const body = await response.json();
  const seconds = (performance.now() - started) / 1000;
  done = true;
  await sampler;
  if (response.status !== 201) throw new Error(`upload of ${bytes} bytes: ${response.status} ${JSON.stringify(body)}`);
  const size = body[0].size * 1000;
  if (Math.abs(size - bytes) > 10) throw new Error(`stored ${size} bytes, sent ${bytes}`);
  return { before, peak, seconds };
}

async function main() {
  const sizes = (process.env.BENCH_UPLOAD_MIB ?? '16,64,256').split(',').map((s) => Number(s) * MiB);
  const dir = await mkdtemp(join(tmpdir(), 'bench-upload-memory-'));
  const child = await startServerChild(import.meta.url, dir);
  try {
    const { url } = child;
    await upload(url, child.pid, 4 * MiB); // warm-up: JIT, pools, first SQLite pages
    await sleep(200);
    const baseline = await rss(child.pid);
    const results = [];
    for (const bytes of sizes) {
      const r = await upload(url, child.pid, bytes);
      results.push({ bytes, ...r, growth: r.peak - baseline });
    }
    const base = results[0];
    console.log(`upload-server memory during one streamed upload (RSS of the server process, sampled every 5 ms)`);
    console.log(`baseline after a 4 MiB warm-up upload: ${(baseline / MiB).toFixed(1)} MiB`);
    console.log('file MiB  RSS before MiB  peak MiB  peak-baseline MiB  MiB/s   growth ratio vs smallest  size ratio');
    for (const r of results) {
      console.log(
        [
          String(r.bytes / MiB).padEnd(8),
          (r.before / MiB).toFixed(1).padEnd(14),
          (r.peak / MiB).toFixed(1).padEnd(8),
          (r.growth / MiB).toFixed(1).padEnd(17),
          (r.bytes / MiB / r.seconds).toFixed(0).padEnd(6),
          `${(Math.max(r.growth, MiB) / Math.max(base.growth, MiB)).toFixed(2)}x`.padEnd(25),
          `${(r.bytes / base.bytes).toFixed(0)}x`,
        ].join('  '),
      );
    }
  } finally {
    await child.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
