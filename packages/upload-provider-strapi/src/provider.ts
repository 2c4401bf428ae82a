import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type ByteRange,
  type Capabilities,
  createDebug,
  defineProvider,
  knownSize,
  ProviderError,
  type ProviderFile,
  type SignedUrl,
  type SignOptions,
  type StoredFile,
  type StoredRef,
  type UploadOptions,
  type UploadProvider,
} from 'upload-provider';
import { GAVE_UP, type Pumped, pump } from './body.js';
import { fromStrapiError } from './errors.js';
import { type BridgeMetadata, kilobytes, namesFor, readMetadata, storedFileObject } from './file-object.js';
import { LINK_PATH, LinkSigner } from './links.js';
import {
  assertInstance,
  loadStrapiModule,
  PROVIDER_NAME,
  type StrapiFile,
  type StrapiProviderInstance,
} from './load.js';
import { type ResolvedBridgeOptions, strapiBridgeOptions } from './options.js';
import { PublicFiles } from './public-files.js';
import { readThroughUrl } from './read.js';
import { acquireStrapiGlobal } from './strapi-global.js';

/** Answers a request for the bridge's files and signed links; resolves false when the request is not its own. */
export type StrapiRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * Where a bridge keeps its request handler: a registered symbol, so a server finds it without importing this package
 * (upload-server mounts it at `/uploads`, as it mounts the local provider's handler).
 */
export const REQUEST_HANDLER = Symbol.for('upload-provider.requestHandler');

export interface StrapiBridge extends UploadProvider {
  read(file: StoredRef, range?: ByteRange): Promise<Readable>;
  close(): Promise<void>;
  [REQUEST_HANDLER]: StrapiRequestHandler;
}

const MAX_LINK_SECONDS = 7 * 24 * 60 * 60;
const debug = createDebug(PROVIDER_NAME);

function capabilitiesOf(o: Pick<ResolvedBridgeOptions, 'emptyFiles'>): Capabilities {
  return {
    read: true,
    rangeRead: true,
    stat: false,
    directUpload: false,
    downloadName: false,
    contentType: false,
    unknownSize: true,
    emptyFiles: o.emptyFiles,
  };
}

function createBridge(o: ResolvedBridgeOptions): StrapiBridge {
  const cwd = o.cwd ?? process.cwd();
  const publicDir = resolve(cwd, o.publicDir ?? 'public');
  const label = typeof o.provider === 'string' ? `"${o.provider}"` : '(the module object given)';
  const release = acquireStrapiGlobal(publicDir, o.config);
  let instance: StrapiProviderInstance;
  let isPrivate: boolean;
  try {
    const mod = typeof o.provider === 'string' ? loadStrapiModule(o.provider, cwd) : o.provider;
    instance = assertInstance(mod, label, o.providerOptions);
    const privacy = instance.isPrivate?.() ?? false;
    if (typeof privacy !== 'boolean') {
      throw new ProviderError(
        'INVALID_OPTIONS',
        `invalid options: provider: ${label}'s isPrivate() must return a boolean`,
        {
          provider: PROVIDER_NAME,
        },
      );
    }
    isPrivate = privacy;
  } catch (error) {
    release();
    throw error;
  }
  const signer = new LinkSigner(o.secret);
  const files = new PublicFiles(publicDir);
  const baseUrl = o.baseUrl.replace(/\/+$/, '');
  const absolute = /^https?:\/\//.test(baseUrl) ? new URL(baseUrl) : undefined;
  const basePath = absolute ? absolute.pathname.replace(/\/+$/, '') : baseUrl;
  const capabilities = capabilitiesOf(o);
  let closed = false;

  /** A provider's relative URL (`/uploads/a.png`) on the bridge's origin, when that is known. */
  const located = (url: string) => (url.startsWith('/') && absolute ? `${absolute.origin}${url}` : url);
  /** Where Strapi's local provider would put an object whose metadata is unknown. */
  const guessed = (names: { hash: string; ext: string }) => `${basePath}/${names.hash}${names.ext}`;

  /** A URL (or public-folder path) that serves the object now: a fresh `getSignedUrl` one when private. */
  async function servingLocation(object: StrapiFile): Promise<string | undefined> {
    if (isPrivate && instance.getSignedUrl) {
      if (!object.url) return undefined;
      try {
        return (await instance.getSignedUrl(object))?.url ?? undefined;
      } catch (error) {
        throw fromStrapiError(error, 'sign a URL');
      }
    }
    return object.url ?? guessed(object);
  }

  const bridge: StrapiBridge = {
    name: PROVIDER_NAME,
    capabilities,
    isPrivate: () => isPrivate,

    async upload(file: ProviderFile, opts: UploadOptions = {}): Promise<StoredFile> {
      // The core's guard has normalised the key, checked the size against sizeLimit, and guards the stream's length.
      const k = file.key;
      const declared = knownSize(file.body, file.size);
      const names = namesFor(k);
      const object: StrapiFile = {
        name: file.name,
        ...names,
        folderPath: '/',
        mime: file.mime,
        size: kilobytes(declared ?? 0),
        ...(declared !== undefined ? { sizeInBytes: declared } : {}),
        provider_metadata: null,
      };
      if (declared !== undefined && instance.checkFileSize) {
        try {
          await instance.checkFileSize(object, { sizeLimit: o.sizeLimit });
        } catch (error) {
          throw fromStrapiError(error, 'accept the file size');
        }
      }
      let pumped: Pumped;
      let providerError: unknown;
      if (instance.uploadStream) {
        const feed = new PassThrough();
        object.stream = feed;
        const work = Promise.resolve()
          .then(() => instance.uploadStream!(object))
          .catch((error: unknown) => {
            providerError = error;
            // A provider that gave up stops reading: unblock the copy.
            feed.emit(GAVE_UP);
            feed.resume();
          });
        [pumped] = await Promise.all([pump(file.body, feed, opts.signal), work]);
      } else {
        // A provider with only upload(file) needs the whole file in memory: bounded by sizeLimit.
        const chunks: Buffer[] = [];
        pumped = await pump(file.body, chunks, opts.signal);
        if (pumped.failure) throw fromStrapiError(pumped.failure, 'read the file');
        object.buffer = Buffer.concat(chunks);
        object.size = kilobytes(object.buffer.length);
        await Promise.resolve()
          .then(() => instance.upload!(object))
          .catch((error: unknown) => {
            providerError = error;
          });
      }
      delete object.stream;
      delete object.buffer;
      const failure = pumped.failure ?? providerError;
      if (failure !== undefined) {
        // The provider finished with what it got (or failed): remove whatever it stored.
        await Promise.resolve()
          .then(() => instance.delete!(object))
          .catch((error: unknown) => debug('could not remove what a failed upload left', { error: String(error) }));
        throw fromStrapiError(failure, 'store the file');
      }
      return stored(k, file, pumped.bytes, object);
    },

    async delete(ref: StoredRef): Promise<void> {
      const object = storedFileObject(ref.key, ref);
      try {
        await instance.delete!(object);
      } catch (error) {
        const mapped = fromStrapiError(error, 'delete the file');
        if (mapped.code !== 'NOT_FOUND') throw mapped;
      }
    },

    url(ref: StoredRef): string {
      return located(readMetadata(ref)?.url ?? guessed(namesFor(ref.key)));
    },

    async signUrl(ref: StoredRef, opts: SignOptions = {}): Promise<SignedUrl> {
      // The core's guard has checked the lifetime against maxExpiresIn.
      const expiresIn = opts.expiresIn ?? o.urlExpiresIn;
      const target: BridgeMetadata = readMetadata(ref) ?? namesFor(ref.key);
      const expiresAt = new Date(Date.now() + expiresIn * 1000);
      return { url: `${baseUrl}/${LINK_PATH}?${signer.sign(target, expiresAt)}`, expiresAt };
    },

    async read(ref: StoredRef, range?: ByteRange): Promise<Readable> {
      const object = storedFileObject(ref.key, ref);
      const location = await servingLocation(object);
      if (!location)
        throw new ProviderError('NOT_FOUND', 'the object has no URL to read it from', { provider: PROVIDER_NAME });
      if (location.startsWith('/')) return (await files.open(location, range)).stream;
      return readThroughUrl(location, range);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      release();
    },

    [REQUEST_HANDLER]: async (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const url = new URL(req.url ?? '/', 'http://bridge.invalid');
      if (!url.pathname.startsWith(`${basePath}/`)) return false;
      if (url.pathname !== `${basePath}/${LINK_PATH}`) return serve(res, req.method === 'HEAD', url.pathname);
      const target = signer.verify(url.searchParams);
      if (target === 'invalid' || target === 'expired') {
        answer(res, 403, target === 'expired' ? 'This link has expired.' : 'This link is not valid.');
        return true;
      }
      const object = storedFileObject('link', { key: 'link', providerMetadata: { ...target } });
      const location = await servingLocation(object);
      if (!location) answer(res, 404, 'Not Found');
      else if (location.startsWith('/')) await serve(res, req.method === 'HEAD', location);
      else {
        res.writeHead(302, { location, 'cache-control': 'no-store' });
        res.end();
      }
      return true;
    },
  };

  async function serve(res: ServerResponse, head: boolean, path: string): Promise<boolean> {
    let opened: Awaited<ReturnType<PublicFiles['open']>>;
    try {
      opened = await files.open(path);
    } catch {
      answer(res, 404, 'Not Found');
      return true;
    }
    res.writeHead(200, {
      'content-type': opened.type,
      'content-length': String(opened.size),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
    if (head) {
      opened.stream.destroy();
      res.end();
    } else {
      await pipeline(opened.stream, res).catch(() => undefined);
    }
    return true;
  }

  function stored(k: string, file: ProviderFile, size: number, object: StrapiFile): StoredFile {
    if (typeof object.url !== 'string' || object.url === '') {
      throw new ProviderError('INTERNAL', `the Strapi provider ${label} stored the file but gave it no url`, {
        provider: PROVIDER_NAME,
      });
    }
    const providerMetadata: BridgeMetadata = {
      hash: object.hash,
      ext: object.ext,
      ...(object.path ? { path: object.path } : {}),
      url: object.url,
      provider_metadata: object.provider_metadata ?? null,
    };
    return { key: k, url: located(object.url), size, mime: file.mime, providerMetadata: { ...providerMetadata } };
  }

  return bridge;
}

function answer(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(message);
}

/**
 * Runs a Strapi v4/v5 upload provider as an upload-provider:
 * `strapiProvider({ provider: '@strapi/provider-upload-aws-s3', providerOptions: { … } })`.
 */
export const strapiProvider = defineProvider({
  name: PROVIDER_NAME,
  options: strapiBridgeOptions,
  capabilities: capabilitiesOf,
  limits: (o) => ({ maxExpiresIn: MAX_LINK_SECONDS, wholeSeconds: true, maxObjectSize: o.sizeLimit }),
  create: createBridge,
});
