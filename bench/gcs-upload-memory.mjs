// Benchmark (not a test): memory of streamed uploads through upload-provider-gcs into the firebase-tools Storage
// emulator, reported against baselines measured in the same run:
//   - RSS growth while uploading N MiB vs. RSS growth while merely hashing the same generated stream (the cost of
//     producing the bytes), for two sizes, so a growth that followed the file size would show as a ratio near 4;
//   - throughput vs. that hashing baseline.
// The emulator runs in a child process (it holds every body in memory, up to its 130 MB request limit), so only the
// uploader's memory is measured. Build first (`pnpm build` in packages/upload-provider-gcs), then:
//   node --expose-gc bench/upload-memory.mjs            (BENCH_GCS_MIB=120 for the large size, default 120)
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const MiB = 1024 * 1024;
const BUCKET = 'bench';

if (process.argv[2] === '--emulator') {
  // Child: the emulator, built as test/support/emulator.ts does (same firebase-tools 15.34.2 internals).
  const { StorageEmulator } = await import('firebase-tools/lib/emulator/storage/index.js');
  const { EmulatorRegistry } = await import('firebase-tools/lib/emulator/registry.js');
  const blobs = mkdtempSync(join(tmpdir(), 'gcs-bench-'));
  class Isolated extends StorageEmulator {
    getPersistenceTmpDir() {
      return blobs;
    }
  }
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const emulator = new Isolated({ projectId: 'demo-bench', host: '127.0.0.1', port, rules: {}, auto_download: false });
  await emulator._rulesManager.stop();
  const none = { start: async () => {}, stop: async () => {}, getRuleset: () => undefined };
  emulator._rulesRuntime = none;
  emulator._rulesManager = none;
  emulator.replaceRules = async () => {};
  await EmulatorRegistry.start(emulator);
  process.stdout.write(`${port}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await EmulatorRegistry.stop('storage');
    rmSync(blobs, { recursive: true, force: true });
    process.exit(0);
  });
} else if (process.argv[2] === '--worker') {
  await worker(process.argv[3], Number(process.argv[4]));
} else {
  await main();
}

/** `size` bytes made 64 KiB at a time (never held whole). */
function generated(size) {
  return Readable.from(
    (function* () {
      let n = 0;
      for (let off = 0; off < size; off += 64 * 1024) {
        const b = Buffer.allocUnsafe(Math.min(64 * 1024, size - off));
        b.fill(n++ % 251);
        yield b;
      }
    })(),
  );
}

/** Idle RSS after warm-up, then the peak RSS (sampled every 5 ms) while `fn` runs, and how long it took. */
async function measure(fn) {
  globalThis.gc?.();
  const idle = process.memoryUsage.rss();
  let peak = idle;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const started = process.hrtime.bigint();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { idle: idle / MiB, peak: Math.max(peak, process.memoryUsage.rss()) / MiB, seconds };
}

/** One measurement in a fresh process, so no run inherits another's heap: prints `{ idle, peak, seconds }`. */
async function worker(mode, size) {
  const { gcsProvider } = await import('upload-provider-gcs');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const credentials = {
    client_email: 'bench@demo-bench.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  const p = gcsProvider({
    bucket: BUCKET,
    credentials,
    resumableThreshold: mode === 'single' ? 1024 * MiB : 8 * MiB,
  });
  // Warm up: load the client, open a socket, run each path once with a small file.
  const warm = await p.upload({
    key: 'warm.bin',
    body: generated(2 * MiB),
    ...(mode === 'unknown' ? {} : { size: 2 * MiB }),
    mime: 'application/octet-stream',
    name: 'w',
  });
  await p.delete(warm);
  for await (const _ of generated(2 * MiB));
  const key = `bench-${mode}-${size}.bin`;
  const result = await measure(async () => {
    if (mode === 'hash') {
      const h = createHash('sha256');
      for await (const c of generated(size)) h.update(c);
      return;
    }
    await p.upload({
      key,
      body: generated(size),
      ...(mode === 'unknown' ? {} : { size }),
      mime: 'application/octet-stream',
      name: 'b',
    });
  });
  if (mode !== 'hash') {
    const info = await p.stat({ key });
    if (info?.size !== size) throw new Error(`${mode}: stored ${info?.size} bytes, expected ${size}`);
    await p.delete({ key });
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runWorker(port, mode, size) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', new URL(import.meta.url).pathname, '--worker', mode, String(size)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, STORAGE_EMULATOR_HOST: `http://127.0.0.1:${port}` },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${mode} exited with ${code}`)),
    );
  });
}

async function main() {
  const emulator = spawn(process.execPath, [new URL(import.meta.url).pathname, '--emulator'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    emulator.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    emulator.stdout.once('data', (d) => resolve(Number(String(d).trim())));
  });
  const large = Number(process.env.BENCH_GCS_MIB ?? 120) * MiB;
  const small = Math.round(large / 4 / MiB) * MiB;
  const modes = [
    ['hash', 'hash the generated stream only (baseline)'],
    ['declared', 'resumable session, declared size'],
    ['unknown', 'resumable session, unknown size'],
    ['single', 'single request (threshold raised to 1 GiB)'],
  ];
  const results = {};
  for (const size of [small, large]) {
    for (const [mode] of modes) results[`${mode}/${size}`] = await runWorker(port, mode, size);
  }
  emulator.stdin.end();
  console.log('| run | file | MiB/s | idle RSS | peak RSS | growth | growth − baseline growth |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const size of [small, large]) {
    const base = results[`hash/${size}`];
    for (const [mode, label] of modes) {
      const r = results[`${mode}/${size}`];
      const growth = r.peak - r.idle;
      console.log(
        `| ${label} | ${size / MiB} MiB | ${(size / MiB / r.seconds).toFixed(0)} | ${r.idle.toFixed(1)} MiB | ${r.peak.toFixed(1)} MiB | ${growth.toFixed(1)} MiB | ${(growth - (base.peak - base.idle)).toFixed(1)} MiB |`,
      );
    }
  }
  for (const mode of ['declared', 'unknown', 'single']) {
    const g = (size) => results[`${mode}/${size}`].peak - results[`${mode}/${size}`].idle;
    console.log(
      `${mode}: growth at ${large / MiB} MiB / growth at ${small / MiB} MiB = ${(g(large) / Math.max(g(small), 0.1)).toFixed(2)} (file size ratio ${(large / small).toFixed(2)})`,
    );
  }
}
