// Benchmark (not a test): how close does upload-server come to the floor, a bare node:http + busboy server that only
// streams each file part to disk? Both run as child processes on loopback, side by side in one run and alternating
// (floor, server, server, floor, ...), so a busy machine slows both alike. Two workloads:
//   - small: BENCH_SMALL_COUNT uploads of BENCH_SMALL_KIB KiB each, BENCH_SMALL_INFLIGHT in flight (uploads/s);
//   - large: one upload of BENCH_LARGE_MIB MiB (MiB/s), with the server process's RSS sampled every 5 ms.
// upload-server runs with zero configuration (local provider, SQLite, default logging into /dev/null), as
// `pnpm start` runs it. It prints each round's ratio server/floor and the median over BENCH_ROUNDS rounds; for the
// small uploads also the ratio of CPU time per upload (floor/server, from /proc), which a busy machine hardly moves.
// Run: pnpm build, then pnpm --filter upload-provider-bench bench:floor
// Options (environment): BENCH_ROUNDS (3), BENCH_SMALL_COUNT (1000), BENCH_SMALL_KIB (10), BENCH_SMALL_INFLIGHT (16),
// BENCH_SMALL_SLICES (4: each side's small uploads run in this many turns), BENCH_LARGE_MIB (200),
// BENCH_BASELINE (another checkout's packages/upload-server, built: run it as a third side, e.g. main before a change). Profile one side with BENCH_PROFILE=server (writes a .cpuprofile under the data folder).
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MiB = 1024 * 1024;
const thisServerPackage = new URL('../packages/upload-server/', import.meta.url);
const env = (name, fallback) => Number(process.env[name] ?? fallback);

const mode = process.argv[2];
if (mode === '--floor') await floor(process.argv[3]);
else if (mode === '--server') await uploadServer(process.argv[3], process.argv[4]);
else await main();

/** The floor: parse multipart with busboy and write each file part to its own file, 1 MiB write buffer. */
async function floor(dir) {
  const { default: Busboy } = await import('@fastify/busboy');
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/upload') {
      res.writeHead(404).end();
      return;
    }
    const busboy = new Busboy({ headers: req.headers });
    const writes = [];
    busboy.on('file', (_field, file, filename) => {
      const path = join(dir, randomUUID());
      let size = 0;
      file.on('data', (chunk) => {
        size += chunk.length;
      });
      writes.push(
        pipeline(file, createWriteStream(path, { highWaterMark: MiB })).then(() => ({ name: filename, size, path })),
      );
    });
    busboy.on('finish', () => {
      Promise.all(writes).then(
        (files) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(files)),
        (error) => res.writeHead(500).end(String(error)),
      );
    });
    req.pipe(busboy);
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
  process.on('disconnect', () => server.close(() => process.exit(0)));
}

/** upload-server as `pnpm start` runs it: no configuration but a data folder and a free port. */
async function uploadServer(dir, otherPackage) {
  const serverPackage = otherPackage ? pathToFileURL(`${otherPackage}/`) : thisServerPackage;
  const { buildApp } = await import(new URL('dist/app.js', serverPackage).href);
  const { parseConfig } = await import(new URL('dist/config/load.js', serverPackage).href);
  const config = parseConfig({ host: '127.0.0.1', port: 0, dataDir: dir });
  const app = await buildApp(config, { cwd: fileURLToPath(serverPackage), publicUrl: 'http://127.0.0.1:0' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send(app.server.address().port);
  process.on('disconnect', () => app.close().then(() => process.exit(0)));
}

async function start(kind, dir, serverDir) {
  await mkdir(dir, { recursive: true });
  const profile = process.env.BENCH_PROFILE === kind ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
  const mode = kind === 'floor' ? '--floor' : '--server';
  const args = [fileURLToPath(import.meta.url), mode, dir, ...(serverDir ? [resolve(serverDir)] : [])];
  const child = spawn(process.execPath, [...profile, ...args], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code} before listening`)));
  });
  const path = kind === 'floor' ? '/upload' : '/api/upload';
  return { kind, child, url: `http://127.0.0.1:${port}${path}`, agent: new Agent({ keepAlive: true, maxSockets: 64 }) };
}

async function stop(target) {
  target.agent.destroy();
  const exited = new Promise((resolve) => target.child.once('exit', resolve));
  target.child.disconnect();
  await exited;
}

/** CPU seconds the process has used so far, all its threads (libuv's pool included). */
async function cpuSeconds(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

async function rss(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

function head(boundary, name) {
  return Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
}

/** POSTs `body` (a Buffer, or an async iterable written with back-pressure) and checks the 201. */
function post(target, boundary, body, length) {
  return new Promise((resolve, reject) => {
    const req = request(target.url, {
      method: 'POST',
      agent: target.agent,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        res.statusCode === 201
          ? resolve()
          : reject(new Error(`${target.kind}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`)),
      );
    });
    if (Buffer.isBuffer(body)) req.end(body);
    else
      (async () => {
        for await (const chunk of body) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        req.end();
      })().catch(reject);
  });
}

/** `count` uploads of `bytes` random bytes each, `inflight` at once; returns the seconds they took and the CPU used. */
async function small(target, count, bytes, inflight) {
  const boundary = 'benchsmallboundary';
  const bodies = Array.from({ length: 16 }, (_, i) =>
    Buffer.concat([head(boundary, `small-${i}.bin`), randomBytes(bytes), Buffer.from(`\r\n--${boundary}--\r\n`)]),
  );
  let next = 0;
  const cpuBefore = await cpuSeconds(target.child.pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < count) {
        const body = bodies[next++ % bodies.length];
        await post(target, boundary, body, body.length);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpu: (await cpuSeconds(target.child.pid)) - cpuBefore };
}

/** One upload of `bytes` (a random 1 MiB block repeated); returns MiB/s and the server's RSS growth meanwhile. */
async function large(target, bytes) {
  const boundary = 'benchlargeboundary';
  const first = head(boundary, 'large.bin');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const block = randomBytes(MiB);
  async function* body() {
    yield first;
    for (let sent = 0; sent < bytes; sent += block.length)
      yield block.subarray(0, Math.min(block.length, bytes - sent));
    yield tail;
  }
  const before = await rss(target.child.pid);
  let peak = before;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, await rss(target.child.pid).catch(() => peak));
      await sleep(5);
    }
  })();
  const started = performance.now();
  await post(target, boundary, body(), first.length + bytes + tail.length);
  const seconds = (performance.now() - started) / 1000;
  done = true;
  await sampler;
  return { mibps: bytes / MiB / seconds, growth: peak - before };
}

function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

async function main() {
  const rounds = env('BENCH_ROUNDS', 3);
  const slices = env('BENCH_SMALL_SLICES', 4);
  const count = Math.ceil(env('BENCH_SMALL_COUNT', 1000) / slices) * slices;
  const smallBytes = env('BENCH_SMALL_KIB', 10) * 1024;
  const inflight = env('BENCH_SMALL_INFLIGHT', 16);
  const largeBytes = env('BENCH_LARGE_MIB', 200) * MiB;
  const baseline = process.env.BENCH_BASELINE;
  const dir = await mkdtemp(join(tmpdir(), 'bench-floor-'));
  const targets = [await start('floor', join(dir, 'floor')), await start('server', join(dir, 'server'))];
  if (baseline) targets.push(await start('baseline', join(dir, 'baseline'), baseline));
  const results = Object.fromEntries(targets.map((t) => [t.kind, { small: [], cpu: [], large: [], growth: [] }]));
  const sides = targets.filter((t) => t.kind !== 'floor').map((t) => t.kind);
  try {
    for (const target of targets) {
      await small(target, 200, smallBytes, inflight); // warm-up: JIT, sockets, first SQLite pages
      await large(target, 16 * MiB);
    }
    console.log(
      `upload-server vs the floor (node:http + busboy to disk): ${rounds} rounds; small = ${count} × ${smallBytes / 1024} KiB,` +
        ` ${inflight} in flight; large = 1 × ${largeBytes / MiB} MiB${baseline ? `; baseline = ${baseline}` : ''}`,
    );
    console.log('round  side        up/s  ratio  CPU ms/up  ratio   MiB/s  ratio  RSS growth MiB');
    const f = results.floor;
    for (let round = 0; round < rounds; round++) {
      // Each round turns the order, so no side always runs first (or last) after a large upload.
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      // Small uploads take well under a second each side: slices taken in turns keep a load swing from hitting one.
      const seconds = Object.fromEntries(targets.map((t) => [t.kind, 0]));
      const cpu = Object.fromEntries(targets.map((t) => [t.kind, 0]));
      for (let slice = 0; slice < slices; slice++) {
        const turn = slice % 2 === 0 ? order : [...order].reverse();
        for (const target of turn) {
          const r = await small(target, count / slices, smallBytes, inflight);
          seconds[target.kind] += r.seconds;
          cpu[target.kind] += r.cpu;
        }
      }
      for (const target of order) {
        results[target.kind].small.push(count / seconds[target.kind]);
        results[target.kind].cpu.push((cpu[target.kind] / count) * 1000);
      }
      for (const target of [...order].reverse()) {
        const r = await large(target, largeBytes);
        results[target.kind].large.push(r.mibps);
        results[target.kind].growth.push(r.growth);
      }
      for (const kind of ['floor', ...sides]) {
        const s = results[kind];
        console.log(
          [
            String(round + 1).padEnd(5),
            kind.padEnd(8),
            s.small[round].toFixed(0).padStart(6),
            (s.small[round] / f.small[round]).toFixed(2).padStart(5),
            s.cpu[round].toFixed(2).padStart(9),
            (f.cpu[round] / s.cpu[round]).toFixed(2).padStart(5),
            s.large[round].toFixed(0).padStart(6),
            (s.large[round] / f.large[round]).toFixed(2).padStart(5),
            (s.growth[round] / MiB).toFixed(1).padStart(14),
          ].join('  '),
        );
      }
    }
    for (const kind of sides) {
      const ratio = (what) => results[kind][what].map((v, i) => v / f[what][i]);
      // CPU per upload hardly depends on how busy the machine is: its ratio is the steadier view of the small gap.
      const cpuRatio = f.cpu.map((v, i) => v / results[kind].cpu[i]);
      console.log(
        `median ratio ${kind}/floor: small ${median(ratio('small')).toFixed(2)}× (by CPU per upload` +
          ` ${median(cpuRatio).toFixed(2)}×), large ${median(ratio('large')).toFixed(2)}×;` +
          ` RSS growth during the large upload: median ${(median(results[kind].growth) / MiB).toFixed(1)} MiB` +
          ` (floor ${(median(f.growth) / MiB).toFixed(1)} MiB)`,
      );
    }
  } finally {
    for (const target of targets) await stop(target);
    if (process.env.BENCH_PROFILE) console.log(`profiles kept in ${dir}/${process.env.BENCH_PROFILE}`);
    else await rm(dir, { recursive: true, force: true });
  }
}
