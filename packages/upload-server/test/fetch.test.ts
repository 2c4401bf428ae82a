import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  FetchError,
  forbiddenReason,
  type GuardedFetchOptions,
  guardedFetch,
  parseAddress,
} from '../src/fetch/index.js';

// Every server here listens on loopback (127.0.0.1 or ::1). Private and metadata addresses are only ever refused
// before a socket exists: the guard decides from the address alone, so those cases never send a packet.

interface Recorder {
  server: Server;
  port: number;
  requests: IncomingMessage[];
  url(path?: string): string;
}

async function serve(
  host: '127.0.0.1' | '::1',
  handler: (req: IncomingMessage, res: ServerResponse, self: Recorder) => void,
): Promise<Recorder> {
  const self = { requests: [] as IncomingMessage[] } as Recorder;
  self.server = createServer((req, res) => {
    self.requests.push(req);
    handler(req, res, self);
  });
  self.server.listen(0, host);
  await once(self.server, 'listening');
  self.port = (self.server.address() as AddressInfo).port;
  self.url = (path = '/') => `http://${host.includes(':') ? `[${host}]` : host}:${self.port}${path}`;
  return self;
}

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function failure(promise: Promise<unknown>): Promise<FetchError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FetchError);
    return error as FetchError;
  }
  throw new Error('expected the fetch to fail');
}

const LOCAL = ['127.0.0.0/8', '::1'];
const base: GuardedFetchOptions = { maxBytes: 1024 * 1024, timeoutMs: 10_000 };

let v4: Recorder;
let v6: Recorder;
const servers: Recorder[] = [];
const stalled = new Set<ServerResponse>();

beforeAll(async () => {
  const routes = (req: IncomingMessage, res: ServerResponse, self: Recorder) => {
    const path = req.url ?? '/';
    if (path === '/hello') {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello from ${self.server.address() && (self.server.address() as AddressInfo).address}`);
    } else if (path === '/echo') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, headers: req.headers }));
    } else if (path.startsWith('/redirect/')) {
      // /redirect/<n>/<status>?to=<url>: n more hops on this server, then to `to`.
      const [, , n, status] = path.split('?')[0]!.split('/');
      const to = new URL(path, 'http://x').searchParams.get('to') ?? '/hello';
      const left = Number(n);
      res.statusCode = Number(status);
      res.setHeader('location', left > 1 ? `/redirect/${left - 1}/${status}?to=${encodeURIComponent(to)}` : to);
      res.end();
    } else if (path.startsWith('/big/')) {
      const bytes = Number(path.split('/')[2]);
      const announced = path.endsWith('/announced');
      if (announced) res.setHeader('content-length', String(bytes));
      const chunk = Buffer.alloc(16 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent < bytes) {
          const n = Math.min(chunk.length, bytes - sent);
          sent += n;
          if (!res.write(chunk.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => undefined);
      pump();
    } else if (path === '/stall-headers') {
      stalled.add(res);
    } else if (path === '/stall-body') {
      res.setHeader('content-type', 'application/octet-stream');
      res.write('first bytes, then nothing');
      stalled.add(res);
    } else if (path === '/status/500') {
      res.statusCode = 500;
      res.end('broken');
    } else {
      res.statusCode = 404;
      res.end();
    }
  };
  v4 = await serve('127.0.0.1', routes);
  v6 = await serve('::1', routes);
  servers.push(v4, v6);
});

afterAll(async () => {
  for (const res of stalled) res.destroy();
  for (const s of servers) {
    s.server.closeAllConnections();
    s.server.close();
  }
});

describe('addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['2001:db8::1', 'reserved'],
  ])('%s is refused as %s', (literal, reason) => {
    const addr = parseAddress(literal);
    expect(addr).not.toBeNull();
    expect(forbiddenReason(addr!)).toBe(reason);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s is a public address',
    (literal) => {
      expect(forbiddenReason(parseAddress(literal)!)).toBeNull();
    },
  );
});

describe('guardedFetch refuses', () => {
  it.each([
    ['loopback by address', () => v4.url('/hello')],
    ['a host name resolving to loopback', () => `http://localhost:${v4.port}/hello`],
    ['IPv6 loopback', () => v6.url('/hello')],
    ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${v4.port}/hello`],
    ['IPv4-compatible IPv6 loopback', () => `http://[::127.0.0.1]:${v4.port}/hello`],
    ['hex and short IPv4 forms', () => `http://0x7f.1:${v4.port}/hello`],
    ['a decimal IPv4 form', () => `http://2130706433:${v4.port}/hello`],
    ['an octal IPv4 form', () => `http://0177.0.0.1:${v4.port}/hello`],
  ])('%s, without connecting', async (_name, url) => {
    const before = v4.requests.length + v6.requests.length;
    const error = await failure(guardedFetch(url(), base));
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/loopback/);
    expect(v4.requests.length + v6.requests.length).toBe(before);
  });

  it.each([
    'http://10.0.0.1/',
    'http://172.16.5.4:8080/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/',
    'http://[fc00::1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:a00:1]/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://224.0.0.1/',
    'http://[64:ff9b::a9fe:a9fe]/',
  ])('%s (decided from the address, before any socket)', async (url) => {
    const error = await failure(guardedFetch(url, base));
    expect(error.status).toBe(403);
  });

  it.each([
    ['ftp://127.0.0.1/file', /only http/],
    ['file:///etc/passwd', /only http/],
    ['data:text/plain,hello', /only http/],
    ['not a url', /not a valid URL/],
    ['/relative/path', /not a valid URL/],
    [`http://user:pass@example.com/`, /user name or password/],
  ])('%s with 400', async (url, message) => {
    const error = await failure(guardedFetch(url, base));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('a URL that is not a string', async () => {
    expect((await failure(guardedFetch(42, base))).status).toBe(400);
  });

  it.each([
    [{ Host: 'example.com' }, /Host/],
    [{ 'Transfer-Encoding': 'chunked' }, /Transfer-Encoding/],
    [{ Connection: 'close' }, /Connection/],
    [{ 'Proxy-Authorization': 'x' }, /Proxy-Authorization/],
    [{ 'Content-Length': '5' }, /Content-Length/],
    [{ 'X-Test': 'a\r\nInjected: 1' }, /line breaks/],
    [{ 'bad header': 'x' }, /not a valid header name/],
  ])('header %j with 400', async (headers, message) => {
    const error = await failure(guardedFetch(v4.url('/echo'), { ...base, allow: LOCAL, headers }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('methods other than GET and POST', async () => {
    const error = await failure(guardedFetch(v4.url('/echo'), { ...base, allow: LOCAL, method: 'DELETE' }));
    expect(error.status).toBe(400);
  });
});

describe('guardedFetch with an allow-list', () => {
  it('fetches from 127.0.0.1 allowed by CIDR', async () => {
    const res = await guardedFetch(v4.url('/hello'), { ...base, allow: ['127.0.0.0/8'] });
    expect(res.status).toBe(200);
    expect((await readAll(res.body)).toString()).toBe('hello from 127.0.0.1');
  });

  it('fetches from [::1] allowed by address', async () => {
    const res = await guardedFetch(v6.url('/hello'), { ...base, allow: ['::1'] });
    expect((await readAll(res.body)).toString()).toBe('hello from ::1');
  });

  it('fetches from a host name allowed by name, sending that name as Host', async () => {
    const res = await guardedFetch(`http://localhost:${v4.port}/echo`, { ...base, allow: ['localhost'] });
    const echo = JSON.parse((await readAll(res.body)).toString());
    expect(echo.headers.host).toBe(`localhost:${v4.port}`);
  });

  it('an allowed IPv4 range covers its IPv4-mapped IPv6 form', async () => {
    const res = await guardedFetch(`http://[::ffff:127.0.0.1]:${v4.port}/hello`, { ...base, allow: ['127.0.0.1/32'] });
    expect((await readAll(res.body)).toString()).toBe('hello from 127.0.0.1');
  });

  it('allowing one loopback family does not allow the other', async () => {
    const error = await failure(guardedFetch(v6.url('/hello'), { ...base, allow: ['127.0.0.0/8'] }));
    expect(error.status).toBe(403);
  });

  it('sends the caller headers and method', async () => {
    const res = await guardedFetch(v4.url('/echo'), {
      ...base,
      allow: LOCAL,
      method: 'POST',
      headers: { Authorization: 'Bearer abc', 'X-Custom': 'yes' },
    });
    const echo = JSON.parse((await readAll(res.body)).toString());
    expect(echo.method).toBe('POST');
    expect(echo.headers.authorization).toBe('Bearer abc');
    expect(echo.headers['x-custom']).toBe('yes');
    expect(echo.headers['accept-encoding']).toBe('identity');
  });
});

describe('redirects', () => {
  it('follows up to the limit, then refuses with 502', async () => {
    const ok = await guardedFetch(v4.url('/redirect/3/302?to=/hello'), { ...base, allow: LOCAL, maxRedirects: 3 });
    expect(ok.url).toBe(v4.url('/hello'));
    expect((await readAll(ok.body)).toString()).toBe('hello from 127.0.0.1');
    const error = await failure(
      guardedFetch(v4.url('/redirect/4/302?to=/hello'), { ...base, allow: LOCAL, maxRedirects: 3 }),
    );
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/more than 3/);
  });

  it('checks every hop: a redirect from an allowed host to a refused one is refused without connecting', async () => {
    const before = v6.requests.length;
    const to = v6.url('/hello');
    const error = await failure(
      guardedFetch(v4.url(`/redirect/1/307?to=${encodeURIComponent(to)}`), { ...base, allow: ['127.0.0.1'] }),
    );
    expect(error.status).toBe(403);
    expect(v6.requests.length).toBe(before);
  });

  it('refuses a redirect to the metadata address', async () => {
    const to = 'http://169.254.169.254/latest/meta-data/iam/';
    const error = await failure(
      guardedFetch(v4.url(`/redirect/1/302?to=${encodeURIComponent(to)}`), { ...base, allow: LOCAL }),
    );
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/link-local/);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const error = await failure(
      guardedFetch(v4.url(`/redirect/1/302?to=${encodeURIComponent('file:///etc/passwd')}`), { ...base, allow: LOCAL }),
    );
    expect(error.status).toBe(400);
  });

  it('drops credentials when a redirect leaves the first origin, keeps them on the same origin', async () => {
    const headers = { Authorization: 'Bearer secret-token', Cookie: 'a=b', 'X-Keep': '1' };
    const cross = await guardedFetch(v4.url(`/redirect/1/307?to=${encodeURIComponent(v6.url('/echo'))}`), {
      ...base,
      allow: LOCAL,
      headers,
    });
    const away = JSON.parse((await readAll(cross.body)).toString());
    expect(away.headers.authorization).toBeUndefined();
    expect(away.headers.cookie).toBeUndefined();
    expect(away.headers['x-keep']).toBe('1');
    const same = await guardedFetch(v4.url('/redirect/1/307?to=/echo'), { ...base, allow: LOCAL, headers });
    expect(JSON.parse((await readAll(same.body)).toString()).headers.authorization).toBe('Bearer secret-token');
  });

  it('a 303 after POST continues with GET; a 307 keeps POST', async () => {
    const see = await guardedFetch(v4.url('/redirect/1/303?to=/echo'), { ...base, allow: LOCAL, method: 'POST' });
    expect(JSON.parse((await readAll(see.body)).toString()).method).toBe('GET');
    const keep = await guardedFetch(v4.url('/redirect/1/307?to=/echo'), { ...base, allow: LOCAL, method: 'POST' });
    expect(JSON.parse((await readAll(keep.body)).toString()).method).toBe('POST');
  });
});

describe('limits and upstream failures', () => {
  it('refuses an announced length over the limit with 413 before reading', async () => {
    const error = await failure(
      guardedFetch(v4.url('/big/200000/announced'), { ...base, allow: LOCAL, maxBytes: 1000 }),
    );
    expect(error.status).toBe(413);
  });

  it('cuts off an unannounced body once it passes the limit, with 413', async () => {
    const res = await guardedFetch(v4.url('/big/300000'), { ...base, allow: LOCAL, maxBytes: 100_000 });
    expect(res.contentLength).toBeUndefined();
    const error = await failure(readAll(res.body));
    expect(error.status).toBe(413);
  });

  it('a body of exactly the limit passes', async () => {
    const res = await guardedFetch(v4.url('/big/100000'), { ...base, allow: LOCAL, maxBytes: 100_000 });
    expect((await readAll(res.body)).length).toBe(100_000);
  });

  it('times out with 504 when the headers never come', async () => {
    const error = await failure(guardedFetch(v4.url('/stall-headers'), { ...base, allow: LOCAL, timeoutMs: 300 }));
    expect(error.status).toBe(504);
  });

  it('times out with 504 while the body stalls', async () => {
    const res = await guardedFetch(v4.url('/stall-body'), { ...base, allow: LOCAL, timeoutMs: 300 });
    const error = await failure(readAll(res.body));
    expect(error.status).toBe(504);
  });

  it('answers 502 for an upstream error status', async () => {
    const error = await failure(guardedFetch(v4.url('/status/500'), { ...base, allow: LOCAL }));
    expect(error.status).toBe(502);
    expect(error.details.upstreamStatus).toBe(500);
  });

  it('answers 502 when nothing listens', async () => {
    const closed = await serve('127.0.0.1', () => undefined);
    const url = closed.url('/');
    await new Promise((r) => closed.server.close(r));
    const error = await failure(guardedFetch(url, { ...base, allow: LOCAL }));
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });
});
