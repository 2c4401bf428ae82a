import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { retryingFetch } from '../src/fetch.js';

// A server that resets the connection of every first request it sees, and answers the next: what a client meets when
// a keep-alive connection is closed by the server just as the client reuses it.
let server: Server;
let url: string;
let requests = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (requests % 2 === 1) {
      req.socket.destroy();
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a GET whose connection is reset is tried once more', async () => {
  requests = 0;
  await expect(fetch(url)).rejects.toThrow('fetch failed');
  requests = 0;
  const res = await retryingFetch(fetch)(url);
  expect(await res.text()).toBe('ok');
  expect(requests).toBe(2);
});

test('a POST is not retried: its failure is reported as it is', async () => {
  requests = 0;
  await expect(retryingFetch(fetch)(url, { method: 'POST', body: 'x' })).rejects.toThrow('fetch failed');
  expect(requests).toBe(1);
});
