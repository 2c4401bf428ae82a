// Benchmark (not a test): uploads per second through one upload-server process, then through three on the same
// PostgreSQL schema and the same s3rver bucket, in one run; the baseline is the one-server figure, so the report is
// the ratio three/one. Two workloads: BENCH_FLEET_SMALL uploads of 10 KiB (BENCH_FLEET_SMALL_INFLIGHT in flight) and
// BENCH_FLEET_LARGE uploads of 50 MiB (BENCH_FLEET_LARGE_INFLIGHT in flight). Servers (dist/cli.js) and s3rver run
// as child processes; the client is this process (fetch + FormData), on the same machine.
// Run: pnpm build, then pnpm --filter upload-provider-bench bench:fleet (PostgreSQL at PG_TEST_URL or the default).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const KiB = 1024;
const MiB = 1024 * KiB;
const env = (name, fallback) => Number(process.env[name] ?? fallback);
const serverDir = fileURLToPath(new URL('../packages/upload-server/', import.meta.url));
const requireFromServer = createRequire(join(serverDir, 'package.json'));
const pg = requireFromServer('pg');
const PG_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;

if (process.argv[2] === '--s3rver') {
  const { default: S3rver } = await import('s3rver');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: process.argv[3],
    configureBuckets: [{ name: 'bench' }],
  });
  const { port } = await server.run();
  process.stdout.write(`${port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => server.close().then(() => process.exit(0)));
} else {
  await main();
}

function child(args, ready) {
  const proc = spawn(process.execPath, args, { cwd: serverDir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      const match = ready.exec(out);
      if (match) {
        // Keep reading (and dropping) its output, so the pipe never fills.
        out = '';
        resolve({ proc, match });
      } else if (out.length > 1e6) out = out.slice(-1e5);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`)));
  });
}

async function run(urls, count, inflight, bytes) {
  const blob = new Blob([bytes], { type: 'application/octet-stream' });
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < count) {
        const i = next++;
        const body = new FormData();
        body.append('files', blob, `f${i}.bin`);
        const res = await fetch(`${urls[i % urls.length]}/api/upload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}` },
          body,
        });
        if (res.status !== 201) failed++;
        await res.arrayBuffer();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (failed) throw new Error(`${failed} uploads failed`);
  return { perSecond: count / seconds, mibPerSecond: (count * bytes.length) / MiB / seconds };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-bench-'));
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const s3 = await child(
    ['--openssl-legacy-provider', fileURLToPath(import.meta.url), '--s3rver', join(dir, 's3')],
    /^(\d+)\n/,
  );
  const endpoint = `http://127.0.0.1:${s3.match[1]}`;
  const config = join(dir, 'bench.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      port: 0,
      dataDir: join(dir, 'data'),
      database: { url: PG_URL, schema, poolSize: 10 },
      provider: {
        name: 'aws-s3',
        options: {
          bucket: 'bench',
          region: 'us-east-1',
          endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        },
      },
      tokens: [{ name: 'bench', token: TOKEN }],
      sizeLimit: 64 * MiB,
      images: { formats: false },
    }),
  );
  const servers = [];
  try {
    for (let i = 0; i < 3; i++) {
      servers.push(
        await child(
          [join(serverDir, 'dist', 'cli.js'), 'start', '--config', config, '--json'],
          /Server listening at (http:\/\/127\.0\.0\.1:\d+)/,
        ),
      );
    }
    const urls = servers.map((s) => s.match[1]);
    const small = randomBytes(10 * KiB);
    const large = randomBytes(50 * MiB);
    const smallCount = env('BENCH_FLEET_SMALL', 600);
    const largeCount = env('BENCH_FLEET_LARGE', 12);
    // Warm-up: each server's connections and code paths.
    await run(urls, 30, 6, small);
    const rows = [];
    for (const [label, bytes, count, inflight] of [
      ['10 KiB', small, smallCount, env('BENCH_FLEET_SMALL_INFLIGHT', 16)],
      ['50 MiB', large, largeCount, env('BENCH_FLEET_LARGE_INFLIGHT', 3)],
    ]) {
      const one = await run(urls.slice(0, 1), count, inflight, bytes);
      const three = await run(urls, count, inflight, bytes);
      rows.push({ label, count, inflight, one, three });
    }
    console.log(
      `| file   | uploads | in flight | 1 server: uploads/s (MiB/s) | 3 servers: uploads/s (MiB/s) | 3 / 1 |`,
    );
    console.log(
      `| ------ | ------: | --------: | --------------------------: | ---------------------------: | ----: |`,
    );
    for (const r of rows) {
      const cell = (x) => `${x.perSecond.toFixed(1)} (${x.mibPerSecond.toFixed(1)})`;
      console.log(
        `| ${r.label} | ${r.count} | ${r.inflight} | ${cell(r.one)} | ${cell(r.three)} | ${(r.three.perSecond / r.one.perSecond).toFixed(2)} |`,
      );
    }
  } finally {
    for (const s of servers) s.proc.kill('SIGTERM');
    s3.proc.stdin.end();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
    await rm(dir, { recursive: true, force: true });
  }
}
