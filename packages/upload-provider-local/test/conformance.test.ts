import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  describeProviderConformance,
  planConformance,
  plannedVerdict,
  runConformanceCli,
  verdictOf,
} from 'upload-provider-conformance';
import { createLocalHandler, type LocalHandler, type LocalProvider, localProvider } from '../src/index.js';
import { filesUnder, SECRET } from './helpers.js';

// The local provider enforces signatures and policies itself (its handler checks them), so the suite runs with
// every enforcement on: expired and tampered URLs and non-conforming POSTs are fetched for real and must be refused.
const capabilities = localProvider.capabilitiesFor({ root: tmpdir() });

const invalidOptions = [
  { options: {}, mentions: ['root'] },
  { options: { root: '' }, mentions: ['root'] },
  { options: { root: tmpdir(), private: true }, mentions: ['secret'] },
  { options: { root: tmpdir(), secret: 'too short' }, mentions: ['secret'] },
  { options: { root: tmpdir(), urlExpiresIn: 0, baseUrl: 'ftp://example.com' }, mentions: ['urlExpiresIn', 'baseUrl'] },
  {
    options: { root: tmpdir(), prefix: '../outside', maxDirectUploadBytes: -1 },
    mentions: ['prefix', 'maxDirectUploadBytes'],
  },
];

/** One real HTTP server per mode on 127.0.0.1; each case's fresh provider gets its own handler on it. */
function mode(isPrivate: boolean) {
  const state: { server?: Server; origin?: string; root?: string; handler?: LocalHandler } = {};
  beforeAll(async () => {
    state.root = mkdtempSync(join(tmpdir(), `upl-conformance-${isPrivate ? 'private' : 'public'}-`));
    state.server = createServer((req, res) => {
      state.handler!(req, res).then((handled) => {
        if (!handled) {
          res.statusCode = 404;
          res.end();
        }
      });
    });
    await new Promise<void>((resolve) => state.server!.listen(0, '127.0.0.1', resolve));
    state.origin = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    state.server?.closeAllConnections();
    await new Promise((resolve) => state.server?.close(resolve));
    if (state.root) rmSync(state.root, { recursive: true, force: true });
  });

  describeProviderConformance<LocalProvider>({
    name: `local (${isPrivate ? 'private' : 'public'}, over HTTP)`,
    capabilities,
    private: isPrivate,
    create: () => {
      const provider = localProvider({
        root: state.root!,
        baseUrl: `${state.origin}/uploads`,
        private: isPrivate,
        secret: SECRET,
        urlExpiresIn: 300,
      });
      state.handler = createLocalHandler(provider);
      return provider;
    },
    cleanup: (provider) => provider.close(),
    factory: localProvider,
    invalidOptions,
  });

  test(`${isPrivate ? 'private' : 'public'} mode: the suite left nothing on disk, not even temporary files`, () => {
    expect(filesUnder(state.root!)).toEqual([]);
  });
}

describe('public mode', () => mode(false));
describe('private mode', () => mode(true));

// The CLI runs the same suite with node:test from a module that exports `conformance`; its verdict must be the Jest
// run's: every case that runs here passes there, and the same number of cases runs.
describe('npx upload-provider-conformance', () => {
  const dir = mkdtempSync(join(tmpdir(), 'upl-conformance-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("gives the Jest run's verdict for the local provider over HTTP", async () => {
    const module = join(dir, 'local-conformance.mjs');
    writeFileSync(module, cliModule());
    const { code, summary } = await runConformanceCli(module);
    const same = { name: 'local', create: () => localProvider({ root: dir }), factory: localProvider, invalidOptions };
    expect(verdictOf(summary)).toEqual(plannedVerdict(planConformance(same, capabilities, false)));
    expect(summary.ok).toBe(true);
    expect(code).toBe(0);
  });

  function cliModule(): string {
    const local = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
    return `import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHandler, localProvider } from ${JSON.stringify(local)};
let root, server, origin, handler;
export const conformance = {
  name: 'local (public, over HTTP, CLI)',
  async setup() {
    root = mkdtempSync(join(tmpdir(), 'upl-conformance-cli-root-'));
    server = createServer((req, res) => handler(req, res).then((handled) => { if (!handled) res.writeHead(404).end(); }));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = 'http://127.0.0.1:' + server.address().port;
  },
  create() {
    const provider = localProvider({ root, baseUrl: origin + '/uploads', secret: ${JSON.stringify(SECRET)}, urlExpiresIn: 300 });
    handler = createLocalHandler(provider);
    return provider;
  },
  cleanup: (provider) => provider.close(),
  async teardown() {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  },
  factory: localProvider,
  invalidOptions: ${JSON.stringify(invalidOptions)},
};
`;
  }
});
