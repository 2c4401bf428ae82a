import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ConfigError, parseConfig } from '../src/config/load.js';
import { startServer, type TestServer } from './helpers/server.js';

const TOKEN = 'a-token-the-page-does-not-need';

describe('the media library route', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ config: { tokens: [{ name: 'editor', token: TOKEN }] } });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('/ redirects to /media/, which serves the page without a token, under a policy that runs only its own script', async () => {
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/media/');

    for (const path of ['/media', '/media/']) {
      const page = await fetch(`${server.url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await page.text()).toContain('<title>Media library');
    }
    // The page is public; the API behind it is not.
    expect((await fetch(`${server.url}/api/upload/files`)).status).toBe(401);
  });

  test('the built script and stylesheet are served from the package, named by their content and cached for good', async () => {
    const html = await (await fetch(`${server.url}/media/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/media\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const response = await fetch(`${server.url}${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
      // No CDN: nothing the page loads comes from another origin.
      expect(await response.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i);
    }
  });

  test('nothing outside the built assets can be reached through /media', async () => {
    for (const path of [
      '/media/assets/..%2F..%2Fpackage.json',
      '/media/assets/..%2Findex.html',
      '/media/assets/.hidden',
      '/media/assets/missing-abc123.js',
      '/media/package.json',
    ]) {
      const response = await fetch(`${server.url}${path}`);
      expect([path, response.status]).toEqual([path, 404]);
    }
  });
});

describe('mediaLibrary: false', () => {
  test('leaves / and /media to the API: both are 404s', async () => {
    const server = await startServer({ config: { mediaLibrary: false } });
    try {
      for (const path of ['/', '/media', '/media/']) {
        const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
        expect([path, response.status]).toEqual([path, 404]);
      }
      expect((await fetch(`${server.url}/api/upload/files`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  test('a value that is not a boolean is refused at start-up, naming the option', () => {
    expect(() => parseConfig({ mediaLibrary: 'off' })).toThrow(ConfigError);
    expect(() => parseConfig({ mediaLibrary: 'off' })).toThrow(/mediaLibrary/);
  });
});
