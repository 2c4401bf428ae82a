import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Internal modules of firebase-tools, pinned to exactly 15.34.2 in package.json (see the comment on startGcsEmulator).
import { EmulatorRegistry } from 'firebase-tools/lib/emulator/registry.js';
import { StorageEmulator } from 'firebase-tools/lib/emulator/storage/index.js';

export const PROJECT_ID = 'demo-upload-provider';

export interface GcsEmulator {
  /** `http://127.0.0.1:<port>`: what STORAGE_EMULATOR_HOST is set to, and where objects are served. */
  host: string;
  /** The plain download address of a bucket's objects: `<host>/<bucket>` (append the encoded key). */
  downloadBase(bucket: string): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the emulator's `port: 0` means "the default 9199", not "any"). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const noRules = {
  start: async () => undefined,
  stop: async () => undefined,
  getRuleset: () => undefined,
};

/**
 * Starts the Cloud Storage emulator of firebase-tools inside this process on 127.0.0.1 and a free port, and points
 * @google-cloud/storage at it by setting STORAGE_EMULATOR_HOST (read by `new Storage()` and by
 * `generateSignedPostPolicyV4`, so set before any provider is made). Its blobs live in a fresh temporary directory.
 *
 * It relies on internals of firebase-tools 15.34.2, which is why that exact version is pinned:
 * - `lib/emulator/storage/index.js` exports the `StorageEmulator` class, built from `{ projectId, host, port, rules,
 *   auto_download }`. Its CLI cannot be used here: it needs Java and downloads the rules-runtime jar.
 * - The instance's `_rulesRuntime` and `_rulesManager` fields and its `replaceRules` method are replaced with no-ops,
 *   because starting them spawns that Java runtime. The GCS JSON API routes (`lib/emulator/storage/apis/gcloud.js`)
 *   use the admin storage layer, which never consults rules, so this changes nothing the tests rely on.
 * - `getPersistenceTmpDir()` is overridden in a subclass (the constructor calls it) so each emulator keeps its blobs
 *   in its own directory; the default, `<tmpdir>/firebase/storage/blobs`, is shared by every process and `stop()`
 *   deletes it.
 * - `lib/emulator/registry.js` exports `EmulatorRegistry`, whose `start()` starts the instance and waits for its port;
 *   the emulator's ACL route asks the registry for its own address.
 */
export async function startGcsEmulator(): Promise<GcsEmulator> {
  const blobs = mkdtempSync(join(tmpdir(), 'gcs-emulator-'));
  class IsolatedStorageEmulator extends StorageEmulator {
    override getPersistenceTmpDir(): string {
      return blobs;
    }
  }
  const port = await freePort();
  const emulator = new IsolatedStorageEmulator({
    projectId: PROJECT_ID,
    host: '127.0.0.1',
    port,
    rules: { name: 'no-rules', content: '' },
    auto_download: false,
  });
  const internals = emulator as unknown as { _rulesRuntime: unknown; _rulesManager: { stop(): Promise<void> } };
  // The constructor made a rules manager holding a file watcher; close it before replacing it.
  await internals._rulesManager.stop();
  internals._rulesRuntime = noRules;
  internals._rulesManager = noRules;
  emulator.replaceRules = async () => undefined;
  await EmulatorRegistry.start(emulator);
  const host = `http://127.0.0.1:${port}`;
  process.env.STORAGE_EMULATOR_HOST = host;
  return {
    host,
    downloadBase: (bucket) => `${host}/${encodeURIComponent(bucket)}`,
    async stop() {
      delete process.env.STORAGE_EMULATOR_HOST;
      await EmulatorRegistry.stop('storage');
      await rm(blobs, { recursive: true, force: true });
    },
  };
}
