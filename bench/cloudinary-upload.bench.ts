// Benchmark, not a test: run with
//   pnpm exec jest --rootDir . --testMatch '<rootDir>/bench/**/*.bench.ts' --testTimeout 600000
// It uploads generated files through the provider (the real SDK) to the local Cloudinary stand-in and reports, against
// baselines measured in the same run: throughput relative to a plain multipart POST of the same bytes to the same
// server, and the growth of peak RSS for a file ten times larger (a ratio near 1 means memory does not grow with size).
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, test } from '@jest/globals';
import { generated } from '../packages/upload-provider-cloudinary/test/support/bytes.js';
import { API_KEY, API_SECRET, useTestCloud } from '../packages/upload-provider-cloudinary/test/support/setup.js';
import { apiSignature } from '../packages/upload-provider-cloudinary/test/support/signatures.js';

const cloud = useTestCloud({ maxFileBytes: 4_000_000_000 });
const MiB = 1024 * 1024;

function peakRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** The baseline: the same bytes in one hand-made multipart POST, no SDK and no provider. */
async function plainPost(size: number, publicId: string): Promise<number> {
  const params: Record<string, string> = { public_id: publicId, timestamp: String(Math.floor(Date.now() / 1000)) };
  params.signature = apiSignature(params, API_SECRET, 'sha1');
  params.api_key = API_KEY;
  const boundary = 'benchboundary';
  const head = Object.entries(params)
    .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('');
  const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const t0 = performance.now();
  const req = request(`${cloud.server.apiUrl}/v1_1/demo-cloud/raw/upload`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const done = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
  });
  req.write(head + fileHead);
  const { stream } = generated(size);
  await pipeline(stream, req, { end: false });
  req.end(`\r\n--${boundary}--`);
  await done;
  return performance.now() - t0;
}

async function viaProvider(size: number, chunkSize: number, known: boolean, key: string) {
  const p = cloud.make({ chunkSize });
  global.gc?.();
  const base = process.memoryUsage().rss;
  const rss = peakRss();
  const { stream } = generated(size);
  const t0 = performance.now();
  const stored = await p.upload({
    key,
    body: stream,
    ...(known ? { size } : {}),
    mime: 'application/octet-stream',
    name: 'x',
  });
  const ms = performance.now() - t0;
  const grew = rss.stop() - base;
  await p.delete(stored);
  return { ms, grew };
}

beforeAll(async () => {
  // Warm up the JIT, the SDK and the server once.
  await viaProvider(8 * MiB, 20_000_000, true, 'bench/warm.bin');
});
afterAll(() => undefined);

test('upload throughput and memory against baselines', async () => {
  const rows: string[] = [];
  for (const [label, size, chunkSize, known] of [
    ['one request, 90 MiB', 90 * MiB, 100_000_000, true],
    ['chunked, 300 MiB, 20 MB chunks', 300 * MiB, 20_000_000, true],
    ['unknown size, 300 MiB, 20 MB chunks', 300 * MiB, 20_000_000, false],
  ] as const) {
    const baseline = await plainPost(size, `bench/plain-${size}`);
    const small = await viaProvider(size / 10, chunkSize, known, `bench/small-${size}.bin`);
    const large = await viaProvider(size, chunkSize, known, `bench/large-${size}.bin`);
    rows.push(
      `${label}: throughput ${(baseline / large.ms).toFixed(2)}× a plain POST (${(size / MiB / (large.ms / 1000)).toFixed(0)} vs ${(size / MiB / (baseline / 1000)).toFixed(0)} MiB/s); ` +
        `peak RSS growth ${(large.grew / MiB).toFixed(0)} MiB for the file vs ${(small.grew / MiB).toFixed(0)} MiB for one a tenth its size`,
    );
  }
  console.log(rows.join('\n'));
});
