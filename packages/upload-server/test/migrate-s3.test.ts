import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startCli } from './helpers/cli.js';
import { json } from './helpers/http.js';
import {
  type CountingS3,
  migrateOnce,
  seed,
  sha256,
  startCountingS3,
  startMigrate,
  writeServerConfig,
} from './helpers/migrate.js';
import { dropSchema, freshSchema } from './helpers/pg.js';
import { databases, startServer } from './helpers/server.js';

// The operator's story end to end: 1,000 files on the local disk (some images with formats) moved to S3 (s3rver) by
// the CLI, stopped with Ctrl-C part-way, run again, switched, and served by a server restarted on the new config.
const FILES = 1000;
const IMAGES = 20;
const OBJECTS = FILES + IMAGES * 2; // each 640×480 image has a thumbnail and a `small` format

let s3: CountingS3;
beforeAll(async () => {
  s3 = await startCountingS3('migrated');
});
afterAll(() => s3?.close());

/** The data keys written to the target (the reachability probe apart), and how often each. */
function dataWrites(): Map<string, number> {
  return new Map([...s3.writes].filter(([key]) => !key.startsWith('upload-server-migrate-probe/')));
}

describe.each(databases())('migrate local → s3rver on %s', (kind) => {
  test(`${FILES} files: interrupted at about 40%, resumed, switched; nothing is copied twice and everything serves`, async () => {
    s3.writes.clear();
    const started = Date.now();
    const schema = kind === 'postgres' ? freshSchema() : undefined;
    const first = await startServer({ kind, ...(schema ? { schema } : {}) });
    const dir = first.dir;
    try {
      const bytes = await seed(first.url, FILES, IMAGES);
      const oldList = await json(await fetch(`${first.url}/api/upload/files`));
      expect(oldList).toHaveLength(FILES);
      await first.app.close();
      const seeded = Date.now();

      const config = await writeServerConfig(dir, kind, schema);
      const to = JSON.stringify({ name: 'aws-s3', options: s3.options() });
      const args = ['--config', config, '--to', to, '--concurrency', '4', '--interval', '0.2'];

      // Ctrl-C once 40% of the objects are in the bucket: the copies in flight finish, and it exits non-zero.
      const interrupted = startMigrate(args);
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (dataWrites().size >= OBJECTS * 0.4) {
            clearInterval(timer);
            interrupted.child.kill('SIGINT');
            resolve();
          }
        }, 5);
        interrupted.exited.then(() => reject(new Error(`migrate ended before 40%:\n${interrupted.stderr()}`)));
      });
      expect(await interrupted.exited).toBe(130);
      expect(interrupted.stderr()).toMatch(/Stopping after the copies in flight/);
      const stoppedAt = dataWrites().size;
      expect(stoppedAt).toBeLessThan(OBJECTS);
      expect(interrupted.stderr()).toMatch(new RegExp(`Stopped: ${OBJECTS - stoppedAt} objects left`));
      // Not on a terminal: plain progress lines.
      expect(interrupted.stderr()).toMatch(/migrate: \d+\/\d+ files, [\d.]+ MiB of [\d.]+ MiB, [\d.]+ MiB\/s, ETA/);

      // --switch now is refused, and says how many are left.
      const early = await migrateOnce([...args, '--dry-run', '--switch']);
      expect(early.code).toBe(1);
      expect(early.stderr).toMatch(
        new RegExp(`Refusing to --switch: ${OBJECTS - stoppedAt} objects are not copied yet`),
      );

      const resumed = await migrateOnce([...args, '--switch']);
      expect(resumed.stderr).toMatch(new RegExp(`${stoppedAt} already copied, ${OBJECTS - stoppedAt} to copy`));
      expect(resumed.stderr).toMatch(new RegExp(`Switched ${FILES} files to "aws-s3"`));
      expect(resumed.code).toBe(0);
      const printed = JSON.parse(resumed.stdout) as { provider: { name: string; options: Record<string, unknown> } };
      expect(printed.provider).toMatchObject({
        name: 'aws-s3',
        options: { bucket: 'migrated', credentials: '[redacted]' },
      });

      // Every object reached the bucket exactly once, over both runs.
      const writes = dataWrites();
      expect(writes.size).toBe(OBJECTS);
      expect([...writes.values()].filter((n) => n !== 1)).toEqual([]);
      const migrated = Date.now();

      // Restarted by the CLI on the new config: it lists every file and serves each, byte for byte, from s3rver.
      const newConfig = await writeServerConfig(dir, kind, schema, {
        port: 0,
        logLevel: 'info',
        provider: { name: 'aws-s3', options: s3.options() },
      });
      const after = await startCli(['--config', newConfig], { cwd: join(__dirname, '..') });
      try {
        const list = await json(await fetch(`${after.url}/api/upload/files`));
        expect(list).toHaveLength(FILES);
        let formats = 0;
        for (const file of list) {
          expect(file.provider).toBe('aws-s3');
          expect(file.url.startsWith(s3.endpoint)).toBe(true);
          const res = await fetch(file.url);
          expect(res.status).toBe(200);
          expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(bytes.get(file.name)!));
          for (const [name, f] of Object.entries(file.formats ?? {}) as Array<[string, { url: string }]>) {
            const served = new Uint8Array(await (await fetch(f.url)).arrayBuffer());
            const local = readFileSync(join(dir, 'uploads', `${name}_${file.hash}${file.ext}`));
            expect(sha256(served)).toBe(sha256(local));
            formats++;
          }
        }
        expect(formats).toBe(IMAGES * 2);
      } finally {
        after.child.kill('SIGTERM');
        await after.exited;
      }
      console.log(
        `migrate on ${kind}: seeding ${((seeded - started) / 1000).toFixed(1)} s, migration (both runs) ` +
          `${((migrated - seeded) / 1000).toFixed(1)} s, whole test ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      await first.app.close().catch(() => {});
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
