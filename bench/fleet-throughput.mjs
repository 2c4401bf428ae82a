// Benchmark (not a test): uploads per second through one upload-server process, then through three on the same
// PostgreSQL schema and the same s3rver bucket, in one run; the baseline is the one-server figure, so the report is
// the ratio three/one. Two workloads: BENCH_FLEET_SMALL uploads of 10 KiB (BENCH_FLEET_SMALL_INFLIGHT in flight) and
// BENCH_FLEET_LARGE uploads of 50 MiB (BENCH_FLEET_LARGE_INFLIGHT in flight). Servers (dist/cli.js) and s3rver run
// as child processes; the client is this process (fetch + FormData), on the same machine.
// Run: pnpm build, then pnpm --filter upload-provider-bench bench:fleet (PostgreSQL at PG_TEST_URL or the default).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startS3rver } from './support/s3rver.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;
const env = (name, fallback) => Number(process.env[name] ?? fallback);
const serverDir = fileURLToPath(new URL('../packages/upload-server/', import.meta.url));
const requireFromServer = createRequire(join(serverDir, 'package.json'));
const pg = requireFromServer('pg');
const PG_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;

await main();

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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The pid of the s3rver child serving `directory` (the shared helper does not expose it). */
function s3rverPid(directory) {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(directory)) return Number(pid);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Runs `work`; adds the CPU seconds spent meanwhile by the servers (together), s3rver and this client. */
async function withCpu(serverPids, s3Pid, work) {
  const sum = () => serverPids.reduce((total, pid) => total + cpuSeconds(pid), 0);
  const before = [sum(), s3Pid ? cpuSeconds(s3Pid) : 0];
  const client = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(client);
  return {
    ...result,
    cpu: {
      servers: sum() - before[0],
      s3rver: s3Pid ? cpuSeconds(s3Pid) - before[1] : Number.NaN,
      client: (used.user + used.system) / 1e6,
    },
  };
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
  const s3 = await startS3rver(join(dir, 's3'), ['bench']);
  const config = join(dir, 'bench.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      port: 0,
      dataDir: join(dir, 'data'),
      database: { url: PG_URL, schema, poolSize: 10 },
      provider: { name: 'aws-s3', options: s3.options('bench') },
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
    const serverPids = servers.map((s) => s.proc.pid);
    const s3Pid = s3rverPid(join(dir, 's3'));
    const rows = [];
    for (const [label, bytes, count, inflight] of [
      ['10 KiB', small, smallCount, env('BENCH_FLEET_SMALL_INFLIGHT', 16)],
      ['50 MiB', large, largeCount, env('BENCH_FLEET_LARGE_INFLIGHT', 3)],
    ]) {
      const one = await withCpu(serverPids, s3Pid, () => run(urls.slice(0, 1), count, inflight, bytes));
      const three = await withCpu(serverPids, s3Pid, () => run(urls, count, inflight, bytes));
      rows.push({ label, count, inflight, one, three });
    }
    console.log(`${cpus().length} cores; load average before the run: ${loadavg()[0].toFixed(2)}\n`);
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
    console.log('\nCPU milliseconds per upload, by process (where the cores go):\n');
    console.log('| file   | servers | uploads/s | server(s) | s3rver | client |');
    console.log('| ------ | ------: | --------: | --------: | -----: | -----: |');
    for (const r of rows) {
      for (const [n, x] of [
        [1, r.one],
        [3, r.three],
      ]) {
        const ms = (seconds) => ((seconds * 1000) / r.count).toFixed(1);
        console.log(
          `| ${r.label} | ${n} | ${x.perSecond.toFixed(1)} | ${ms(x.cpu.servers)} | ${ms(x.cpu.s3rver)} | ${ms(x.cpu.client)} |`,
        );
      }
    }
  } finally {
    for (const s of servers) s.proc.kill('SIGTERM');
    await s3.stop();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
    await rm(dir, { recursive: true, force: true });
  }
}
