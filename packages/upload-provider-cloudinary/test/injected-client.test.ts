import { randomBytes } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { v2 as sdk } from 'cloudinary';
import { cloudinaryProvider } from '../src/index.js';
import { API_KEY, API_SECRET, CLOUD, useTestCloud } from './support/setup.js';

const cloud = useTestCloud();

describe('an injected SDK instance', () => {
  test("credentials and the API URL come from the instance's configuration", async () => {
    // Jest gives this file its own copy of the SDK, so its global configuration touches no other test.
    sdk.config({ cloud_name: CLOUD, api_key: API_KEY, api_secret: API_SECRET, upload_prefix: cloud.server.apiUrl });
    const p = cloudinaryProvider({ client: sdk, secure: false, cname: cloud.server.deliveryHost });
    const key = `i/${randomBytes(6).toString('hex')}/hello.txt`;
    const stored = await p.upload({ key, body: Buffer.from('hello'), mime: 'text/plain', name: 'hello.txt' });
    expect(cloud.server.find('raw', 'upload', key)?.bytes).toBe(5);
    expect(await (await fetch(stored.url)).text()).toBe('hello');
    await p.delete(stored);
    expect(cloud.server.find('raw', 'upload', key)).toBeUndefined();
  });
});
