import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from '@jest/globals';
import { sql } from 'kysely';
import { diskProvider } from './disk-provider.js';
import { type DbKind, databases, type StartOptions, startServer, type TestServer } from './server.js';

export interface Harness {
  server: TestServer;
  url: string;
  /** Object keys the provider holds now. */
  objects(): Promise<string[]>;
  /** Bytes of a stored object. */
  object(key: string): Buffer;
  /** Rows in `files` now. */
  rowCount(): Promise<number>;
}

/** Starts a server over a disk provider whose objects a test can list. */
export async function startHarness(kind: DbKind, options: Omit<StartOptions, 'kind'> = {}): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'upload-server-objects-'));
  const provider = diskProvider(root);
  const server = await startServer({ provider, ...options, kind });
  // With an injected provider, `objects()` still lists this harness's own folder (empty), so tests list theirs.
  return {
    server,
    url: server.url,
    objects: () => provider.list(),
    object: (key) => readFileSync(join(root, key)),
    rowCount: async () => {
      const { rows } = await sql<{ n: number }>`select count(*) as n from files`.execute(server.app.uploads.db);
      return Number(rows[0]?.n ?? 0);
    },
  };
}

/** Declares `suite` once per database (SQLite, and PostgreSQL when reachable; always in CI). */
export function forEachDatabase(name: string, suite: (kind: DbKind) => void): void {
  for (const kind of databases()) describe(`${name} [${kind}]`, () => suite(kind));
}
