import type { Agent } from 'node:http';
import type { Writable } from 'node:stream';
import * as cloudinaryModule from 'cloudinary';

/** What the provider needs from the Cloudinary SDK's credentials and connection options, passed on every call. */
export interface CallOptions {
  cloud_name: string;
  api_key: string;
  api_secret: string;
  signature_algorithm?: 'sha1' | 'sha256';
  agent?: Agent;
  [option: string]: unknown;
}

/** A Cloudinary error as the SDK reports it: `{ message, http_code }`, sometimes wrapped in `{ error }`. */
export interface SdkError {
  message?: unknown;
  http_code?: unknown;
  name?: unknown;
  code?: unknown;
  error?: unknown;
}

export type SdkCallback = (error: SdkError | undefined, result?: Record<string, unknown>) => void;

/**
 * The part of the `cloudinary` v2 object the provider uses. An injected instance must offer these; it is usually
 * `require('cloudinary').v2` (the SDK keeps one global configuration, so the provider passes credentials on every call).
 */
export interface CloudinarySdk {
  config(): Record<string, unknown>;
  url(publicId: string, options: Record<string, unknown>): string;
  uploader: {
    upload_stream(options: Record<string, unknown>, callback: SdkCallback): Writable;
    destroy(publicId: string, options: Record<string, unknown>): Promise<Record<string, unknown>>;
  };
  api: {
    resource(publicId: string, options: Record<string, unknown>): Promise<Record<string, unknown>>;
  };
  utils: {
    private_download_url(publicId: string, format: string, options: Record<string, unknown>): string;
    api_sign_request(params: Record<string, unknown>, secret: string, algorithm?: string | null): string;
    api_url(action: string, options: Record<string, unknown>): string;
  };
}

/** True when `value` looks like the `cloudinary` v2 object (the methods above are present). */
export function isCloudinarySdk(value: unknown): value is CloudinarySdk {
  const v = value as Partial<CloudinarySdk> | null | undefined;
  return (
    !!v &&
    typeof v.config === 'function' &&
    typeof v.url === 'function' &&
    typeof v.uploader?.upload_stream === 'function' &&
    typeof v.uploader?.destroy === 'function' &&
    typeof v.api?.resource === 'function' &&
    typeof v.utils?.private_download_url === 'function' &&
    typeof v.utils?.api_sign_request === 'function' &&
    typeof v.utils?.api_url === 'function'
  );
}

/** The SDK's v2 object. The SDK reads `CLOUDINARY_URL` (including `upload_prefix`) when it is first loaded. */
export function defaultSdk(): CloudinarySdk {
  // A CommonJS package: under native ESM its exports sit on `default`; compiled to CommonJS they are the namespace.
  const mod = cloudinaryModule as unknown as { v2?: CloudinarySdk; default?: { v2?: CloudinarySdk } };
  const v2 = mod.v2 ?? mod.default?.v2;
  if (!v2) throw new Error('the cloudinary package did not export v2');
  return v2;
}
