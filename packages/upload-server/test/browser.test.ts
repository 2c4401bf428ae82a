import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { type S3Emulator, startS3 } from './browser/s3.js';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';
import { startPageServer } from './helpers/page.js';
import { startServer, type TestServer } from './helpers/server.js';

const startPage = () =>
  startPageServer({
    '/': { type: 'text/html; charset=utf-8', body: readFileSync(join(__dirname, 'browser', 'page.html')) },
  });

interface PageResult {
  uploadId: string;
  storageOrigin: string;
  entity: { id: number; name: string; mime: string; caption: string; url: string };
  sent: string;
  received: string;
}

if (chromiumAvailable('the browser direct-upload tests')) {
  describe('a real browser uploads straight to the storage', () => {
    let s3: S3Emulator;
    let png: Buffer;

    beforeAll(async () => {
      s3 = await startS3('browser');
      png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 120, b: 200 } } })
        .png()
        .toBuffer();
    }, 60_000);
    afterAll(async () => {
      await s3?.close();
    });

    // The API lets the page's origin call it (corsOrigins); the storage lets any origin POST (the local handler's
    // default, and the bucket's CORS rules on s3rver).
    const cases: Array<[string, (origin: string) => Promise<TestServer>]> = [
      [
        'the local provider (its handler on upload-server)',
        (origin) => startServer({ config: { corsOrigins: [origin] } }),
      ],
      [
        'S3 (s3rver with CORS)',
        (origin) => startServer({ provider: s3.provider(), config: { corsOrigins: [origin] } }),
      ],
    ];

    test.each(cases)(
      'through %s: pick, get credentials, POST the form, confirm, list, download',
      async (_name, start) => {
        const page = await startPage();
        const api = await start(page.url);
        const browser = await launchChromium();
        const { context } = browser;
        const tab = await context.newPage();
        const logs: string[] = [];
        tab.on('console', (m) => logs.push(m.text()));
        tab.on('requestfailed', (r) => logs.push(`failed ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
        try {
          await tab.goto(`${page.url}/?api=${encodeURIComponent(api.url)}`);
          await tab.setInputFiles('#file', { name: 'browser.png', mimeType: 'image/png', buffer: png });
          // The page's own code does the work (the same function its button runs); a failure rejects with its message.
          // A step that never finishes fails after 30 s with the steps the page reached.
          const result = (await Promise.race([
            tab.evaluate(() => (globalThis as unknown as { run(): Promise<unknown> }).run()),
            new Promise((_, reject) => {
              const timer = setTimeout(
                () => reject(new Error(`the page got stuck after: ${logs.join(' → ')}`)),
                30_000,
              );
              timer.unref();
            }),
          ])) as PageResult;
          expect(logs.filter((l) => l.startsWith('failed'))).toEqual([]);
          // The form went to another origin than the page's.
          expect(result.storageOrigin).not.toBe(page.url);
          expect([api.url, s3.endpoint]).toContain(result.storageOrigin);
          expect(result.entity).toMatchObject({ name: 'browser.png', mime: 'image/png', caption: 'from a browser' });
          const sha = createHash('sha256').update(png).digest('hex');
          expect(result.sent).toBe(sha);
          expect(result.received).toBe(sha);

          const listed = (await (
            await fetch(`${api.url}/api/upload/files`, { signal: AbortSignal.timeout(10_000) })
          ).json()) as Array<{
            id: number;
            url: string;
          }>;
          const entity = listed.find((f) => f.id === result.entity.id);
          expect(entity).toBeDefined();
          const bytes = Buffer.from(
            await (await fetch(new URL(entity!.url, api.url), { signal: AbortSignal.timeout(10_000) })).arrayBuffer(),
          );
          expect(bytes.equals(png)).toBe(true);
        } finally {
          await browser.close();
          page.close();
          await api.close();
        }
      },
    );
  });
}
