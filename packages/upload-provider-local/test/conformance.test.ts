import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { describeProviderConformance } from 'upload-provider-conformance';
import { createLocalHandler, type LocalHandler, type LocalProvider, localProvider } from '../src/index.js';
import { filesUnder, SECRET } from './helpers.js';

// The local provider enforces signatures and policies itself (its handler checks them), so the suite runs with
// every enforcement on: expired and tampered URLs and non-conforming POSTs are fetched for real and must be refused.
const capabilities = { ...localProvider({ root: tmpdir() }).capabilities };

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
