import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from '@jest/globals';

// The built CommonJS module `upload-provider-strapi/strapi`, required in a plain Node process as Strapi 5 requires an
// upload provider, with the real upload-provider-local behind it. The same module inside a real Strapi app is
// strapi-app.test.ts.
const run = promisify(execFile);
// biome-ignore lint/suspicious/noExplicitAny: each scenario's JSON is checked field by field
async function scenario(name: string): Promise<any> {
  const { stdout } = await run(process.execPath, [join(__dirname, 'support', 'strapi-module-scenarios.cjs'), name], {
    cwd: join(__dirname, '..'),
  });
  return JSON.parse(stdout);
}

describe('upload-provider-strapi/strapi', () => {
  test('refuses providerOptions without a provider or with a bad lifetime, naming the option', async () => {
    const { messages } = await scenario('badOptions');
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('providerOptions.provider must name an upload-provider');
    expect(messages[1]).toContain('providerOptions.urlExpiresIn');
  });

  test('uploadStream streams to the provider under path/hash+ext; a public one gives plain URLs; delete removes it', async () => {
    const r = await scenario('stream');
    expect(r.key).toBe(`album/${r.hash}.jpg`);
    expect(r.url).toBe(`/uploads/album/${r.hash}.jpg`);
    expect(r.sameBytes).toBe(true);
    expect(r.isPrivate).toBe(false);
    expect(r.signed).toEqual({ url: r.url });
    expect(r.existsAfterDelete).toBe(false);
  });

  test('a private provider gives Strapi signed URLs, not the plain one', async () => {
    const r = await scenario('private');
    expect(r.isPrivate).toBe(true);
    expect(r.signed.url).not.toBe(r.plain);
    const signed = new URL(r.signed.url);
    expect(signed.pathname).toBe(`/uploads/${r.hash}.jpg`);
    expect([...signed.searchParams.keys()].length).toBeGreaterThan(0);
  });

  test("checkFileSize refuses a file over Strapi's sizeLimit with Strapi's PayloadTooLargeError", async () => {
    const r = await scenario('tooLarge');
    expect(r).toMatchObject({ thrown: true, name: 'PayloadTooLargeError' });
    expect(r.message).toContain('big.bin exceeds the size limit of 1000000 bytes');
  });

  test('a provider package that is not installed fails uploads with what to install', async () => {
    const r = await scenario('missing');
    expect(r.thrown).toBe(true);
    expect(r.message).toContain('npm install upload-provider-nowhere-to-be-found');
  });
});
