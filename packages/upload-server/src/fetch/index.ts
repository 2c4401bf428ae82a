import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { createDebug } from 'upload-provider';
import { HttpError } from '../errors.js';
import { AllowList, forbiddenReason, parseAddress } from './address.js';

export { AllowList, allowEntryProblem, forbiddenReason, parseAddress } from './address.js';

const debug = createDebug('upload-server:fetch');

/** Why a guarded fetch failed, with the status the server answers: 400, 403, 413, 502 or 504. */
export class FetchError extends HttpError {
  constructor(status: 400 | 403 | 413 | 502 | 504, message: string, details: Record<string, unknown> = {}) {
    super(status, message, details, status === 504 ? 'GatewayTimeoutError' : undefined);
  }
}

export interface GuardedFetchOptions {
  /** `GET` (default) or `POST` (sent without a body). */
  method?: string;
  /** Request headers; hop-by-hop headers, `Host` and framing headers are refused. */
  headers?: Record<string, string>;
  /** Largest body accepted, in bytes: more is a 413 (before reading when the length is announced, else while streaming). */
  maxBytes: number;
  /** Deadline for the whole exchange, redirects and body included, in milliseconds. */
  timeoutMs?: number;
  /** Redirects followed, each one checked again. Default 3. */
  maxRedirects?: number;
  /** CIDR ranges, addresses and host names (`*.example.com`) that may be reached even though they are private. */
  allow?: readonly string[] | AllowList;
  signal?: AbortSignal;
}

export interface GuardedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL the body came from (after redirects). */
  url: string;
  /** The announced length, when there is one. */
  contentLength: number | undefined;
  contentType: string | undefined;
  /** The body, limited to `maxBytes` and to the deadline: it errors with a {@link FetchError} past either. */
  body: Transform;
}

const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'expect',
  'http2-settings',
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;
// Visible ASCII, spaces and tabs (and obs-text): no CR, LF or NUL that could split the request.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Headers that carry the caller's credentials: dropped when a redirect leaves the first origin (as fetch does).
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** Checks and copies the caller's headers; throws 400 naming the first one that may not be sent. */
export function checkHeaders(headers: unknown): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    throw new FetchError(400, 'headers must be an object of header names to string values');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) throw new FetchError(400, `"${name}" is not a valid header name`);
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw new FetchError(400, `the value of header "${name}" must be a string without line breaks`);
    }
    if (FORBIDDEN_HEADERS.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-')) {
      throw new FetchError(400, `the header "${name}" may not be set: it is hop-by-hop or controlled by the server`);
    }
    out[lower] = value;
  }
  return out;
}

/** Parses and checks a URL: absolute http(s), no user name or password. */
export function checkUrl(raw: unknown, base?: URL): URL {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 8192) {
    throw new FetchError(400, 'url must be an absolute http:// or https:// URL of at most 8192 characters');
  }
  let url: URL;
  try {
    url = base ? new URL(raw, base) : new URL(raw);
  } catch {
    throw new FetchError(400, `url is not a valid URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchError(400, `only http:// and https:// URLs can be fetched, not ${url.protocol}//`);
  }
  if (url.username || url.password) {
    throw new FetchError(400, 'url must not carry a user name or password: send an Authorization header instead');
  }
  if (!url.hostname) throw new FetchError(400, 'url has no host');
  return url;
}

interface Target {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a URL's host (every address DNS gives) and checks each one; throws 403 when any is forbidden and not
 * allowed. Returns the address to connect to.
 */
export async function resolveTarget(url: URL, allow: AllowList): Promise<Target> {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const hostAllowed = allow.allowsHost(hostname);
  const literal = parseAddress(hostname);
  let addresses: Array<{ address: string; family: number }>;
  if (literal || hostname.includes(':')) {
    addresses = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await dnsLookup(hostname, { all: true, verbatim: true });
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new FetchError(502, `the host ${hostname} could not be resolved${code ? ` (${code})` : ''}`, {
        host: hostname,
      });
    }
  }
  if (addresses.length === 0) throw new FetchError(502, `the host ${hostname} has no address`, { host: hostname });
  for (const { address } of addresses) {
    const parsed = parseAddress(address);
    if (!parsed) throw new FetchError(403, `the host ${hostname} resolves to an address that cannot be checked`);
    const reason = forbiddenReason(parsed);
    if (reason && !hostAllowed && !allow.allowsAddress(parsed)) {
      debug('refused', { host: hostname, reason });
      // Same message whether it is a literal or a name: the caller learns the rule, not the network's layout.
      throw new FetchError(
        403,
        `the URL's host ${hostname} is a ${describe(reason)} address, which the server does not fetch from`,
        { host: hostname, reason },
      );
    }
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

function describe(reason: string): string {
  const names: Record<string, string> = {
    loopback: 'loopback',
    private: 'private-network',
    linkLocal: 'link-local',
    uniqueLocal: 'unique-local',
    carrierGradeNat: 'carrier-grade NAT',
    unspecified: 'unspecified',
    multicast: 'multicast',
    broadcast: 'broadcast',
  };
  return names[reason] ?? 'reserved or special-purpose';
}

/** A `lookup` that answers with the checked address only, so a second DNS answer cannot switch the target. */
function pinnedLookup(target: Target): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as unknown as LookupFunction;
}

class Limiter extends Transform {
  bytes = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      callback(new FetchError(413, `the remote file is larger than the size limit of ${this.max} bytes`));
      return;
    }
    callback(null, chunk);
  }
}

function send(url: URL, method: string, headers: Record<string, string>, target: Target, signal: AbortSignal) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const options: RequestOptions & { servername?: string } = {
      method,
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers: {
        'user-agent': 'upload-server (from-url)',
        accept: '*/*',
        // The bytes are stored as they arrive: ask for them unencoded.
        'accept-encoding': 'identity',
        ...headers,
        ...(method === 'POST' ? { 'content-length': '0' } : {}),
      },
      lookup: pinnedLookup(target),
      agent: false,
      signal,
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options);
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

/**
 * Fetches a URL for the server, refusing private destinations: http(s) only; every address the host resolves to
 * is checked (loopback, private, link-local and metadata, unique-local, CGNAT, reserved, multicast and the IPv6
 * forms of all of those) unless the allow-list admits it; the connection goes to the checked address; each
 * redirect is checked the same way; the body is cut off past `maxBytes` or the deadline.
 */
export async function guardedFetch(rawUrl: unknown, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const method = (options.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    throw new FetchError(400, `method must be GET or POST, not ${JSON.stringify(options.method)}`);
  }
  const initialHeaders = checkHeaders(options.headers);
  const allow = options.allow instanceof AllowList ? options.allow : new AllowList(options.allow ?? []);
  const maxRedirects = options.maxRedirects ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let url = checkUrl(rawUrl);
  const firstOrigin = url.origin;

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new FetchError(504, `the remote server did not answer within ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const done = () => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  };
  const failure = (error: unknown): FetchError => {
    if (error instanceof FetchError) return error;
    if (timedOut) return new FetchError(504, `the remote server did not answer within ${timeoutMs} ms`);
    if (options.signal?.aborted) return new FetchError(502, 'the fetch was aborted');
    const code = (error as { code?: string })?.code;
    return new FetchError(502, `the remote server could not be reached${code ? ` (${code})` : ''}`);
  };

  let method_ = method;
  let headers = initialHeaders;
  try {
    for (let hop = 0; ; hop++) {
      const target = await resolveTarget(url, allow);
      if (controller.signal.aborted) throw controller.signal.reason;
      const res = await send(url, method_, headers, target, controller.signal);
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) && res.headers.location !== undefined) {
        res.resume();
        if (hop >= maxRedirects) {
          throw new FetchError(502, `the remote server redirected more than ${maxRedirects} times`);
        }
        const next = checkUrl(res.headers.location, url);
        if (status === 303 || ((status === 301 || status === 302) && method_ === 'POST')) method_ = 'GET';
        if (next.origin !== firstOrigin) {
          headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.has(k)));
        }
        debug('redirect', { status, hop: hop + 1 });
        url = next;
        continue;
      }
      if (status < 200 || status > 299) {
        res.resume();
        throw new FetchError(502, `the remote server answered ${status}`, { upstreamStatus: status });
      }
      const lengthHeader = res.headers['content-length'];
      const contentLength = lengthHeader && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
      if (contentLength !== undefined && contentLength > options.maxBytes) {
        res.destroy();
        throw new FetchError(
          413,
          `the remote file is ${contentLength} bytes, larger than the size limit of ${options.maxBytes} bytes`,
        );
      }
      const body = new Limiter(options.maxBytes);
      res.on('error', (error) => body.destroy(failure(error)));
      res.on('aborted', () => body.destroy(failure(controller.signal.reason)));
      controller.signal.addEventListener('abort', () => {
        if (!body.writableFinished) {
          body.destroy(failure(controller.signal.reason));
          res.destroy();
        }
      });
      body.on('close', () => {
        done();
        if (!res.complete) res.destroy();
      });
      body.on('end', done);
      res.pipe(body);
      return {
        status,
        headers: res.headers,
        url: url.toString(),
        contentLength,
        contentType: res.headers['content-type'],
        body,
      };
    }
  } catch (error) {
    done();
    controller.abort();
    throw failure(error);
  }
}
