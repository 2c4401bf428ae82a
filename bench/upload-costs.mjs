// Benchmark (not a test): where a small upload's cost goes, beside what the floor (server-floor.mjs) does. Two parts:
//   1. the local provider's upload (temporary file, metadata sidecar, rename into place, stat) against the floor's
//      write (one createWriteStream), both in this process, taking turns, BENCH_COSTS_COUNT files of
//      BENCH_SMALL_KIB KiB with BENCH_SMALL_INFLIGHT at once: process CPU per file (all threads) and the ratio;
//   2. upload-server with zero configuration (SQLite) taking BENCH_COSTS_COUNT uploads over loopback from this
//      process, with every SQLite statement timed (better-sqlite3 runs them on the main thread): time per upload by
//      statement. Wall time of a synchronous call: on a busy machine it includes time the thread was preempted.
// Run: pnpm build, then pnpm --filter upload-provider-bench bench:costs
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const count = env('BENCH_COSTS_COUNT', 2000);
const bytes = env('BENCH_SMALL_KIB', 10) * 1024;
const inflight = env('BENCH_SMALL_INFLIGHT', 16);
const rounds = env('BENCH_ROUNDS', 5);
const body = Buffer.alloc(bytes, 7);

/** Runs `fn` `count` times, `inflight` at once; CPU µs of this process (all threads) and wall µs per call. */
async function measure(fn) {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < count) await fn(next++);
    }),
  );
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / count, wall: ((performance.now() - started) * 1000) / count };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const dir = await mkdtemp(join(tmpdir(), 'bench-costs-'));
try {
  // 1. The local provider against the floor's write.
  const { localProvider } = await import('upload-provider-local');
  const provider = localProvider({ root: join(dir, 'local') });
  await mkdir(join(dir, 'floor'));
  const sides = {
    floor: () =>
      pipeline(Readable.from([body]), createWriteStream(join(dir, 'floor', randomUUID()), { highWaterMark: 1 << 20 })),
    local: () =>
      provider.upload({
        key: `${randomUUID()}.bin`,
        body: Readable.from([body]),
        mime: 'application/octet-stream',
        name: 'a.bin',
      }),
  };
  const results = { floor: [], local: [] };
  // Warm-up: the first thousands of files cost both sides several times more (JIT, the file system's caches).
  for (let i = 0; i < 2; i++) for (const fn of Object.values(sides)) await measure(fn);
  console.log(
    `1. local provider vs the floor's write: ${rounds} rounds × ${count} files of ${bytes / 1024} KiB, ${inflight} at once`,
  );
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['floor', 'local'] : ['local', 'floor'];
    for (const side of order) results[side].push(await measure(sides[side]));
    const [f, l] = [results.floor[round], results.local[round]];
    console.log(
      `   round ${round + 1}: floor ${f.cpu.toFixed(0)} µs CPU/file, local ${l.cpu.toFixed(0)} µs (${(l.cpu / f.cpu).toFixed(2)}×)`,
    );
  }
  const ratio = median(results.local.map((l, i) => l.cpu / results.floor[i].cpu));
  console.log(`   median: the local provider's upload costs ${ratio.toFixed(2)}× the floor's write in CPU`);
  await provider.close();

  // 2. SQLite statements per upload through the server.
  const require = createRequire(new URL('../packages/upload-server/package.json', import.meta.url));
  const Database = require('better-sqlite3');
  const timings = new Map();
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function timedPrepare(text) {
    const statement = prepare.call(this, text);
    for (const method of ['run', 'all', 'get']) {
      const original = statement[method];
      statement[method] = function timed(...args) {
        const started = process.hrtime.bigint();
        try {
          return original.apply(this, args);
        } finally {
          const key = text.replace(/\s+/g, ' ').slice(0, 60);
          const t = timings.get(key) ?? { calls: 0, ns: 0n };
          t.calls++;
          t.ns += process.hrtime.bigint() - started;
          timings.set(key, t);
        }
      };
    }
    return statement;
  };
  const server = new URL('../packages/upload-server/', import.meta.url);
  const { buildApp } = await import(new URL('dist/app.js', server).href);
  const { parseConfig } = await import(new URL('dist/config/load.js', server).href);
  const app = await buildApp(parseConfig({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'server') }), {
    logger: false,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${app.server.address().port}/api/upload`;
  const upload = async () => {
    const form = new FormData();
    form.append('files', new Blob([body]), 'small.bin');
    const res = await fetch(url, { method: 'POST', body: form });
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  };
  await measure(upload); // warm-up
  timings.clear();
  await measure(upload);
  await app.close();
  console.log(`2. SQLite statements of ${count} uploads through upload-server (µs per upload, calls, µs per call):`);
  let total = 0;
  for (const [text, t] of [...timings].sort((a, b) => Number(b[1].ns - a[1].ns))) {
    const us = Number(t.ns) / 1000;
    total += us;
    if (us / count < 0.5) continue;
    console.log(
      `   ${(us / count).toFixed(1).padStart(6)}  ${String(t.calls).padStart(6)}  ${(us / t.calls).toFixed(1).padStart(6)}  ${text}`,
    );
  }
  console.log(`   total ${(total / count).toFixed(0)} µs of SQLite per upload`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
