// What `npx upload-provider-conformance .` and test/conformance.test.ts run: a temporary folder served over
// node:http on 127.0.0.1, and a fresh provider on it for each case.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create__Pascal__Handler } from './handler.js';
import { __camel__Provider, CAPABILITIES } from './index.js';

/** The conformance set-up; `npx upload-provider-conformance . --options '{"private":false}'` tests public mode. */
export function conformance({ private: isPrivate = true }: { private?: boolean } = {}) {
  const secret = randomBytes(32).toString('hex');
  let root = '';
  let baseUrl = '';
  let server: Server | undefined;
  return {
    name: `upload-provider-__name__ (${isPrivate ? 'private' : 'public'})`,
    capabilities: CAPABILITIES,
    private: isPrivate,
    async setup() {
      root = await mkdtemp(join(tmpdir(), 'upload-provider-__name__-'));
      const handler = create__Pascal__Handler({ root, secret });
      server = createServer((req, res) => {
        void handler(req, res).then((handled) => handled || res.writeHead(404).end());
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    create: () => __camel__Provider({ root, baseUrl, secret, private: isPrivate }),
    async teardown() {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
      if (root) await rm(root, { recursive: true, force: true });
    },
    factory: __camel__Provider,
    invalidOptions: [
      { options: { root: 42, baseUrl: 'http://127.0.0.1', secret: 'x'.repeat(32) }, mentions: ['root'] },
      { options: { root: 'files', baseUrl: 'ftp://files', secret: 'short' }, mentions: ['baseUrl', 'secret'] },
    ],
  };
}
