// Benchmark (not a test): does upload-server's memory grow with the size of an upload? It starts the built server
// (SQLite, the local-disk provider) in a child process and POSTs one streamed multipart upload to /api/upload per
// size, sampling the server process's resident memory (VmRSS, every 5 ms) during each. It reports each upload's peak
// over the baseline RSS measured after a 4 MiB warm-up upload, and the ratio of that growth for each file to the
// growth for the smallest (same run): far below the size ratio means memory does not follow file size. Bytes are
// random (no image work).
// Run: pnpm exec turbo run build --filter=upload-server..., then pnpm --filter upload-provider-bench bench:upload-memory
// Options (environment): BENCH_UPLOAD_MIB (default "16,64,256").
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const MiB = 1024 * 1024;
const server = new URL('../packages/upload-server/', import.meta.url);

if (process.argv[2] === '--server') {
  // Child: the real app from dist, on a random loopback port; prints the port.
  const dir = process.argv[3];
  const { buildApp } = await import(new URL('dist/app.js', server).href);
  const { parseConfig } = await import(new URL('dist/config/load.js', server).href);
  const config = parseConfig({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    logLevel: 'silent',
    sizeLimit: 2048 * MiB,
    database: { url: join(dir, 'bench.db') },
    provider: { name: 'local', options: { root: join(dir, 'uploads') } },
  });
  // Providers are resolved from the server package, where upload-provider-local is a dependency.
  const app = await buildApp(config, { logger: false, cwd: fileURLToPath(server), publicUrl: 'http://127.0.0.1:0' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${app.server.address().port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => app.close().then(() => process.exit(0)));
} else {
  await main();
}

async function rss(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

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
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, '--server', dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise((resolve, reject) => {
      child.stdout.once('data', (data) => resolve(Number(String(data).trim())));
      child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    });
    const url = `http://127.0.0.1:${port}`;
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
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}
