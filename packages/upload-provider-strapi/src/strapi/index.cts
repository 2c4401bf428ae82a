// Any upload-provider as a Strapi 5 upload provider. Strapi `require`s its providers and Node 20 cannot `require` an
// ES module, so this file is CommonJS; the upload-provider packages (ES modules) are loaded with `import()`.
import fsp = require('node:fs/promises');

import type { StoredRef, UploadProvider } from 'upload-provider';

/** What goes in `config/plugins` under `upload.config.providerOptions`. */
export interface StrapiProviderOptions {
  /** The upload-provider: a short name (`'aws-s3'` loads `upload-provider-aws-s3`), a package name or a path. */
  provider: string;
  /** That provider's own options. */
  options?: Record<string, unknown>;
  /** Lifetime in seconds of the signed URLs Strapi hands out for a private provider. Default 900. */
  urlExpiresIn?: number;
}

/** The fields of Strapi's file object that this module reads and writes. */
export interface StrapiUploadFile {
  name: string;
  hash: string;
  ext?: string;
  mime: string;
  /** Kilobytes. */
  size: number;
  path?: string;
  filepath?: string;
  stream?: NodeJS.ReadableStream;
  buffer?: Buffer;
  url?: string;
  provider_metadata?: { key?: string; providerMetadata?: Record<string, unknown> | null } | null;
}

const LABEL = 'upload-provider-strapi/strapi';

function refuse(message: string): never {
  throw new Error(
    `${LABEL}: ${message}. In config/plugins, set upload.config.providerOptions to { provider: 'aws-s3', options: { … } }.`,
  );
}

/** The key of a file Strapi hands over: its folder path (when set), then `hash` + `ext`, as Strapi's own providers name objects. */
function keyOf(file: StrapiUploadFile): string {
  const name = `${file.hash}${file.ext ?? ''}`;
  const folder = (file.path ?? '').replace(/^\/+|\/+$/g, '');
  return folder ? `${folder}/${name}` : name;
}

function refOf(file: StrapiUploadFile): StoredRef {
  const meta = file.provider_metadata ?? {};
  return {
    key: typeof meta.key === 'string' ? meta.key : keyOf(file),
    providerMetadata: meta.providerMetadata ?? null,
  };
}

/** Strapi's 413 error when the app has `@strapi/utils` (every Strapi app does), a plain error with that status otherwise. */
function payloadTooLarge(message: string): Error {
  try {
    const utils = require(require.resolve('@strapi/utils', { paths: [process.cwd()] })) as {
      errors: { PayloadTooLargeError: new (m: string) => Error };
    };
    return new utils.errors.PayloadTooLargeError(message);
  } catch {
    return Object.assign(new Error(message), { name: 'PayloadTooLargeError', status: 413 });
  }
}

function init(providerOptions: StrapiProviderOptions) {
  if (typeof providerOptions !== 'object' || providerOptions === null) refuse('providerOptions is missing');
  const { provider: spec, options = {}, urlExpiresIn = 900 } = providerOptions;
  if (typeof spec !== 'string' || spec === '') refuse('providerOptions.provider must name an upload-provider');
  if (!Number.isInteger(urlExpiresIn) || urlExpiresIn <= 0)
    refuse('providerOptions.urlExpiresIn must be a whole number of seconds');

  let loading: Promise<UploadProvider> | undefined;
  const provider = () => {
    loading ??= import('upload-provider').then(({ loadProvider }) =>
      loadProvider(spec, options, { cwd: process.cwd() }),
    );
    return loading;
  };
  // Start loading now, so a wrong package or option shows in the log at start-up (init itself must stay synchronous).
  provider().catch((error: Error) => {
    const log = (globalThis as { strapi?: { log?: { error?(m: string): void } } }).strapi?.log;
    (log?.error ?? console.error)(`${LABEL}: ${error.message}`);
  });

  async function store(file: StrapiUploadFile, body: NodeJS.ReadableStream | Buffer): Promise<void> {
    const p = await provider();
    // The exact size when Strapi still has its temporary file; otherwise the stream goes up with an unknown size.
    const size = Buffer.isBuffer(body)
      ? body.byteLength
      : file.filepath
        ? (await fsp.stat(file.filepath).catch(() => undefined))?.size
        : undefined;
    const stored = await p.upload({
      key: keyOf(file),
      body: body as Buffer,
      ...(size === undefined ? {} : { size }),
      mime: file.mime,
      name: file.name,
    });
    file.url = stored.url;
    file.provider_metadata = { key: stored.key, providerMetadata: stored.providerMetadata ?? null };
  }

  return {
    async uploadStream(file: StrapiUploadFile): Promise<void> {
      if (!file.stream) throw new Error(`${LABEL}: Strapi passed no stream for ${file.name}`);
      await store(file, file.stream);
    },
    async upload(file: StrapiUploadFile): Promise<void> {
      if (!file.buffer) throw new Error(`${LABEL}: Strapi passed no buffer for ${file.name}`);
      await store(file, file.buffer);
    },
    async delete(file: StrapiUploadFile): Promise<void> {
      await (await provider()).delete(refOf(file));
    },
    async isPrivate(): Promise<boolean> {
      return (await provider()).isPrivate();
    },
    async getSignedUrl(file: StrapiUploadFile): Promise<{ url: string | undefined }> {
      const p = await provider();
      if (!p.isPrivate()) return { url: file.url };
      return { url: (await p.signUrl(refOf(file), { expiresIn: urlExpiresIn })).url };
    },
    checkFileSize(file: StrapiUploadFile, { sizeLimit }: { sizeLimit?: number } = {}): void {
      if (sizeLimit && file.size * 1000 > sizeLimit) {
        throw payloadTooLarge(`${file.name} exceeds the size limit of ${sizeLimit} bytes`);
      }
    },
  };
}

export = { init };
