import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type BrowserContext, chromium } from 'playwright-core';
import sharp from 'sharp';
import { type S3Emulator, startS3 } from './browser/s3.js';
import { startServer, type TestServer } from './helpers/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * The page's own origin: serves the page and forwards `/api/*` to upload-server (as an app's backend would), so
 * the only cross-origin traffic is the one under test: the form POST to the storage and the download from it.
 */
async function startPageServer(apiUrl: string): Promise<{ url: string; server: Server }> {
  const html = readFileSync(join(__dirname, 'browser', 'page.html'));
  const api = new URL(apiUrl);
  const server = createServer((req, res) => {
    if ((req.url ?? '').startsWith('/api/')) {
      const { host: _host, ...headers } = req.headers;
      const upstream = httpRequest(
        { host: api.hostname, port: api.port, path: req.url, method: req.method, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.statusCode = 502;
        res.end();
      });
      req.pipe(upstream);
      return;
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(html);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface PageResult {
  error?: string;
  uploadId: string;
  storageOrigin: string;
  entity: { id: number; name: string; mime: string; caption: string; url: string };
  sent: string;
  received: string;
}

if (!existsSync(CHROMIUM)) {
  console.warn(
    `Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH): SKIPPING the browser direct-upload tests. ` +
      'Install it with: apt-get install -y --no-install-recommends chromium',
  );
  test(`browser tests need Chromium at ${CHROMIUM}; CI must not skip them`, () => {
    expect(process.env.CI).toBeFalsy();
  });
} else {
  describe('a real browser uploads straight to the storage', () => {
    let context: BrowserContext;
    let profile: string;
    let s3: S3Emulator;
    let png: Buffer;

    beforeAll(async () => {
      profile = mkdtempSync(join(tmpdir(), 'upload-server-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: FLAGS,
      });
      s3 = await startS3('browser');
      png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 120, b: 200 } } })
        .png()
        .toBuffer();
    }, 60_000);
    afterAll(async () => {
      await context?.close();
      await s3?.close();
      rmSync(profile, { recursive: true, force: true });
    });

    const cases: Array<[string, () => Promise<TestServer>]> = [
      ['the local provider (its handler on upload-server)', () => startServer()],
      ['S3 (s3rver with CORS)', () => startServer({ provider: s3.provider() })],
    ];

    test.each(cases)(
      'through %s: pick, get credentials, POST the form, confirm, list, download',
      async (_name, start) => {
        const api = await start();
        const page = await startPageServer(api.url);
        const tab = await context.newPage();
        try {
          await tab.goto(`${page.url}/?api=${encodeURIComponent(api.url)}`);
          await tab.setInputFiles('#file', { name: 'browser.png', mimeType: 'image/png', buffer: png });
          await tab.click('#go');
          await tab.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined);
          const result = (await tab.evaluate(() => (window as unknown as { result: unknown }).result)) as PageResult;
          expect(result.error).toBeUndefined();
          // The form went to another origin than the page's.
          expect(result.storageOrigin).not.toBe(page.url);
          expect(result.entity).toMatchObject({ name: 'browser.png', mime: 'image/png', caption: 'from a browser' });
          const sha = createHash('sha256').update(png).digest('hex');
          expect(result.sent).toBe(sha);
          expect(result.received).toBe(sha);

          const listed = (await (await fetch(`${api.url}/api/upload/files`)).json()) as Array<{
            id: number;
            url: string;
          }>;
          const entity = listed.find((f) => f.id === result.entity.id);
          expect(entity).toBeDefined();
          const bytes = Buffer.from(await (await fetch(new URL(entity!.url, api.url))).arrayBuffer());
          expect(bytes.equals(png)).toBe(true);
        } finally {
          await tab.close();
          page.server.closeAllConnections();
          page.server.close();
          await api.close();
        }
      },
    );
  });
}
