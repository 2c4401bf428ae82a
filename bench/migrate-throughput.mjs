// Benchmark (not a test): `upload-server migrate` from the local disk to s3rver, against a plain stream copy of the
// same bytes between the same two stores in the same run. Two sets: 1,000 small files, and five 200 MiB files. For
// each it reports MiB/s and files/s of the migration (which also reads every copy back to check its SHA-256, and
// records each object in SQLite) and of the baseline (the local provider's read stream piped into the S3 provider's
// upload, same concurrency, no checks), and the migrate process's peak RSS (sampled every 5 ms from /proc), which
// must not follow file size. s3rver runs in its own process.
// Run: pnpm build, then pnpm --filter upload-provider-bench bench:migrate
// Options (environment): BENCH_MIGRATE_SMALL (default 1000 files), BENCH_MIGRATE_LARGE_MIB (default 200),
// BENCH_MIGRATE_CONCURRENCY (default 4).
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { awsS3Provider } from 'upload-provider-aws-s3';
import { localProvider } from 'upload-provider-local';
import { measure } from './support/memory.mjs';
import { startS3rver } from './support/s3rver.mjs';

const MiB = 1024 * 1024;
const SMALL = Number(process.env.BENCH_MIGRATE_SMALL ?? 1000);
const LARGE_MIB = Number(process.env.BENCH_MIGRATE_LARGE_MIB ?? 200);
const CONCURRENCY = Number(process.env.BENCH_MIGRATE_CONCURRENCY ?? 4);
const serverDir = fileURLToPath(new URL('../packages/upload-server/', import.meta.url));

const { buildApp } = await import(new URL('dist/app.js', `file://${serverDir}`).href);
const { parseConfig } = await import(new URL('dist/config/load.js', `file://${serverDir}`).href);

/** A multipart body of `files` parts of `bytes` random bytes each, produced as it is sent. */
async function* multipart(boundary, files, bytes, prefix) {
  const chunk = Buffer.alloc(Math.min(bytes, MiB));
  for (let i = 0; i < files; i++) {
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${prefix}-${i}.bin"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      randomFillSync(chunk);
      yield Buffer.from(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
    }
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--\r\n`);
}

/** A server data folder whose SQLite rows reference `files` local files of `bytes` each, stored through the API. */
async function seed(dir, files, bytes, perRequest) {
  const config = { dataDir: dir, logLevel: 'silent', sizeLimit: 1024 * MiB, database: { url: join(dir, 'bench.db') } };
  const app = await buildApp(parseConfig({ ...config, host: '127.0.0.1', port: 0 }), { logger: false, cwd: serverDir });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${app.server.address().port}`;
  for (let i = 0; i < files; i += perRequest) {
    const boundary = `bench${i}`;
    const res = await fetch(`${url}/api/upload`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: multipart(boundary, Math.min(perRequest, files - i), bytes, `f${i}`),
      duplex: 'half',
    });
    if (res.status !== 201) throw new Error(`seeding: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  await app.close();
  const file = join(dir, 'upload.config.json');
  await writeFile(file, JSON.stringify(config));
  return file;
}

async function rss(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

/** Runs the built CLI's migrate (with `extra` flags); resolves its seconds and peak RSS. */
async function migrate(config, to, extra = []) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(serverDir, 'dist/cli.js'),
      'migrate',
      '--config',
      config,
      '--to',
      JSON.stringify(to),
      '--concurrency',
      String(CONCURRENCY),
      '--interval',
      '3600',
      ...extra,
    ],
    { cwd: serverDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.on('close', resolve));
  let peak = 0;
  let done = false;
  exited.then(() => (done = true));
  while (!done) {
    peak = Math.max(peak, await rss(child.pid).catch(() => peak));
    await sleep(5);
  }
  const code = await exited;
  if (code !== 0) throw new Error(`migrate exited ${code}:\n${output}`);
  return { seconds: (performance.now() - started) / 1000, peak, output };
}

/** The baseline: every object read from the local root and uploaded to S3, `CONCURRENCY` at a time, no checks. */
async function plainCopy(dir, keys, s3Options) {
  const local = localProvider({ root: join(dir, 'uploads') });
  const s3 = awsS3Provider(s3Options);
  let next = 0;
  const run = await measure(() =>
    Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < keys.length) {
          const key = keys[next++];
          const info = await local.stat({ key });
          await s3.upload({
            key,
            body: await local.read({ key }),
            size: info.size,
            mime: 'application/octet-stream',
            name: key,
          });
        }
      }),
    ),
  );
  await s3.close();
  return run;
}

const work = await mkdtemp(join(tmpdir(), 'bench-migrate-'));
const s3 = await startS3rver(join(work, 's3rver'), [
  'small',
  'quarter',
  'large',
  'plain-small',
  'plain-quarter',
  'plain-large',
]);
try {
  const sets = [
    { name: `${SMALL} small files (3 KiB)`, files: SMALL, bytes: 3 * 1024, perRequest: 100, bucket: 'small' },
    {
      name: `5 files of ${LARGE_MIB / 4} MiB`,
      files: 5,
      bytes: (LARGE_MIB / 4) * MiB,
      perRequest: 1,
      bucket: 'quarter',
    },
    { name: `5 files of ${LARGE_MIB} MiB`, files: 5, bytes: LARGE_MIB * MiB, perRequest: 1, bucket: 'large' },
  ];
  const rows = [];
  for (const set of sets) {
    const dir = join(work, set.bucket);
    const config = await seed(dir, set.files, set.bytes, set.perRequest);
    const total = set.files * set.bytes;
    const to = { name: 'aws-s3', options: s3.options(set.bucket) };
    // The command's fixed cost (start Node, load providers, open the database, probe the target, plan) is what a dry
    // run takes; the copy phase is the rest.
    const dry = await migrate(config, to, ['--dry-run']);
    const migrated = await migrate(config, to);
    const copySeconds = migrated.seconds - dry.seconds;
    const keys = readdirSync(join(dir, 'uploads')).filter((k) => k.endsWith('.bin'));
    const plain = await plainCopy(dir, keys, s3.options(`plain-${set.bucket}`));
    const mibs = (s) => total / MiB / s;
    rows.push(
      {
        set: set.name,
        run: 'plain stream copy (baseline)',
        seconds: plain.seconds.toFixed(1),
        'MiB/s': mibs(plain.seconds).toFixed(1),
        'files/s': (set.files / plain.seconds).toFixed(0),
        'vs baseline': '1.00',
        'peak RSS MiB': '',
      },
      {
        set: set.name,
        run: 'migrate, whole command',
        seconds: migrated.seconds.toFixed(1),
        'MiB/s': mibs(migrated.seconds).toFixed(1),
        'files/s': (set.files / migrated.seconds).toFixed(0),
        'vs baseline': (plain.seconds / migrated.seconds).toFixed(2),
        'peak RSS MiB': (migrated.peak / MiB).toFixed(1),
      },
      {
        set: set.name,
        run: `migrate, copy phase (minus a dry run's ${dry.seconds.toFixed(1)} s)`,
        seconds: copySeconds.toFixed(1),
        'MiB/s': mibs(copySeconds).toFixed(1),
        'files/s': (set.files / copySeconds).toFixed(0),
        'vs baseline': (plain.seconds / copySeconds).toFixed(2),
        'peak RSS MiB': '',
      },
    );
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `upload-server migrate, local disk → s3rver (child process); concurrency ${CONCURRENCY}; Node ${process.version}. ` +
      'migrate verifies every copy by reading it back (SHA-256) and records each object in SQLite; the baseline does neither.',
  );
  console.table(rows);
} finally {
  await s3.stop();
  await rm(work, { recursive: true, force: true });
}
