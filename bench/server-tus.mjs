// Benchmark (not a test): resumable uploads (tus) against a single multipart POST of the same bytes, in one run.
// It starts the built server (SQLite, the local-disk provider, whose native sessions append to a partial file) in a
// child process, makes random bytes in memory, and uploads them: once with one streamed POST /api/upload (the
// baseline), then through /api/upload/tus with tus-js-client in 5 MiB and 50 MiB chunks, `BENCH_TUS_ROUNDS` rounds in
// turn. For each way it reports the best MiB/s (from the first request to the final answer, the file committed),
// the ratio to the POST, and the server's RSS growth over its idle RSS (sampled every 5 ms). Every stored file's
// size is checked. Goal (issue 12): tus at 50 MiB chunks >= 0.8x the POST; RSS growth under 32 MiB.
// Run: pnpm exec turbo run build --filter=upload-server..., then pnpm --filter upload-provider-bench bench:tus
// Options (environment): BENCH_TUS_MIB (default 200), BENCH_TUS_ROUNDS (default 3).
import { randomFillSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { printTable } from './measure.mjs';
import { rss, runAsServerChild, startServerChild } from './server-child.mjs';
import { serverRequire } from './server-modules.mjs';

const MiB = 1024 * 1024;
if (!(await runAsServerChild((dir) => ({ sizeLimit: 4096 * MiB, tempDir: join(dir, 'tmp') })))) await main();

/** Runs `work` while sampling the server's RSS; returns its seconds, peak RSS and result. */
async function measured(pid, work) {
  let peak = await rss(pid);
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, await rss(pid).catch(() => peak));
      await sleep(5);
    }
  })();
  const started = performance.now();
  try {
    const result = await work();
    return { seconds: (performance.now() - started) / 1000, peak, result };
  } finally {
    done = true;
    await sampler;
  }
}

async function post(url, bytes) {
  const boundary = `bench${Date.now()}`;
  async function* body() {
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="random.bin"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    // From memory in 1 MiB pieces, as tus-js-client sends its chunks: the same source for both ways.
    for (let at = 0; at < bytes.length; at += MiB) yield bytes.subarray(at, at + MiB);
    yield Buffer.from(`\r\n--${boundary}--\r\n`);
  }
  const response = await fetch(`${url}/api/upload`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: Readable.from(body()),
    duplex: 'half',
  });
  const json = await response.json();
  if (response.status !== 201) throw new Error(`POST: ${response.status} ${JSON.stringify(json)}`);
  return json[0];
}

function tus(url, bytes, chunkSize) {
  const { Upload } = serverRequire('tus-js-client');
  return new Promise((resolve, reject) => {
    const upload = new Upload(bytes, {
      endpoint: `${url}/api/upload/tus`,
      chunkSize,
      retryDelays: null,
      metadata: { filename: 'random.bin', filetype: 'application/octet-stream' },
      onError: reject,
      onSuccess: ({ lastResponse }) => resolve(JSON.parse(lastResponse.getBody())[0]),
    });
    upload.start();
  });
}

async function main() {
  const size = Number(process.env.BENCH_TUS_MIB ?? 200) * MiB;
  const rounds = Number(process.env.BENCH_TUS_ROUNDS ?? 3);
  const dir = await mkdtemp(join(tmpdir(), 'bench-tus-'));
  const bytes = Buffer.alloc(size);
  randomFillSync(bytes);
  bytes[0] = 0;
  const child = await startServerChild(import.meta.url, join(dir, 'server'));
  try {
    const { url } = child;
    // Warm-up: JIT, pools, the first SQLite pages, on both paths.
    await post(url, bytes);
    await tus(url, bytes.subarray(0, 8 * MiB), 5 * MiB);
    await sleep(300);
    const idle = await rss(child.pid);
    const ways = [
      ['POST /api/upload (baseline)', () => post(url, bytes)],
      ['tus, 5 MiB chunks', () => tus(url, bytes, 5 * MiB)],
      ['tus, 50 MiB chunks', () => tus(url, bytes, 50 * MiB)],
    ];
    const best = new Map();
    for (let round = 0; round < rounds; round++) {
      for (const [name, work] of ways) {
        const r = await measured(child.pid, work);
        const stored = Math.round(r.result.size * 1000);
        if (Math.abs(stored - size) > 10) throw new Error(`${name}: stored ${stored} bytes, sent ${size}`);
        const mibs = size / MiB / r.seconds;
        const prev = best.get(name);
        best.set(name, {
          mibs: Math.max(prev?.mibs ?? 0, mibs),
          growth: Math.max(prev?.growth ?? 0, r.peak - idle),
        });
      }
    }
    const baseline = best.get(ways[0][0]).mibs;
    console.log(`${size / MiB} MiB through upload-server (SQLite, local provider), best of ${rounds} rounds`);
    console.log(`server idle RSS after warm-up: ${(idle / MiB).toFixed(1)} MiB`);
    printTable([
      ['way', 'MiB/s', 'vs POST', 'peak RSS growth'],
      ...ways.map(([name]) => {
        const b = best.get(name);
        return [name, b.mibs.toFixed(0), `${(b.mibs / baseline).toFixed(2)}x`, `${(b.growth / MiB).toFixed(1)} MiB`];
      }),
    ]);
  } finally {
    await child.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
