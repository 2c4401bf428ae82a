import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { REQUEST_HANDLER, type StrapiBridge, type StrapiBridgeOptions, strapiProvider } from '../../src/index.js';

export const SECRET = 'a-bridge-secret-for-these-tests-only-0123456789';

export interface BridgeHost {
  /** `http://127.0.0.1:<port>/uploads`: where the bridge's handler answers. */
  readonly baseUrl: string;
  /** A fresh `public/` folder (with `uploads/` in it, as a Strapi app has). */
  readonly publicDir: string;
  /** A bridge whose handler this host's HTTP server runs. */
  make(options: Omit<StrapiBridgeOptions, 'baseUrl' | 'publicDir'>): StrapiBridge;
}

/**
 * One real HTTP server on 127.0.0.1 for a test file, playing the part upload-server has in production: it hands each
 * request to the request handler of the bridge made last.
 */
export function useBridgeHost(): BridgeHost {
  const state: { server?: Server; origin?: string; dir?: string; bridge?: StrapiBridge } = {};
  beforeAll(async () => {
    state.dir = mkdtempSync(join(tmpdir(), 'strapi-bridge-'));
    mkdirSync(join(state.dir, 'public', 'uploads'), { recursive: true });
    state.server = createServer((req, res) => {
      const handler = state.bridge?.[REQUEST_HANDLER];
      void (handler ? handler(req, res) : Promise.resolve(false)).then((handled) => {
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
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  });
  return {
    get baseUrl() {
      return `${state.origin}/uploads`;
    },
    get publicDir() {
      return join(state.dir!, 'public');
    },
    make(options) {
      state.bridge = strapiProvider({ ...options, baseUrl: this.baseUrl, publicDir: this.publicDir, secret: SECRET });
      return state.bridge;
    },
  };
}
