import { type DirectUpload, type DirectUploadRequest, joinKey } from 'upload-provider';
import type { CallCredentials, Delivery } from './delivery.js';
import { allowedFormatsFor, resourceTypeForMime } from './formats.js';
import { type ResolvedOptions, UPLOAD_SIGNATURE_LIFETIME } from './options.js';
import { publicIdFor } from './public-ids.js';
import type { CloudinarySdk } from './sdk.js';

export interface SigningContext {
  sdk: CloudinarySdk;
  credentials: CallCredentials;
  delivery: Delivery;
  o: ResolvedOptions;
  debug: (message: string, data?: unknown) => void;
}

/**
 * Signed Upload API parameters for one browser form POST: pinned to the key's public id, the type's formats
 * (`allowed_formats`) and the delivery type, expiring after `req.expiresIn` (checked by the core).
 */
export function signDirectUpload(ctx: SigningContext, req: DirectUploadRequest): DirectUpload {
  const { sdk, credentials, o } = ctx;
  const { key } = req;
  // Parameters (`; charset=...`) say nothing about the format; the type alone picks the allowed formats.
  const mime = req.mime.split(';')[0]!.trim();
  const seconds = ctx.delivery.lifetime(req.expiresIn, UPLOAD_SIGNATURE_LIFETIME);
  const resourceType = resourceTypeForMime(mime);
  const publicId = publicIdFor(joinKey(o.folder, key), resourceType, 'cloudinary');
  const formats = allowedFormatsFor(mime);
  // Cloudinary accepts a signature for one hour after its timestamp and has no expiry field: backdating the
  // timestamp makes it refuse the form ("Stale request") once the requested lifetime has passed.
  const timestamp = Math.floor(Date.now() / 1000) - (UPLOAD_SIGNATURE_LIFETIME - seconds);
  const params: Record<string, string> = {
    timestamp: String(timestamp),
    public_id: publicId,
    type: o.delivery,
    overwrite: 'true',
  };
  if (formats) params.allowed_formats = formats.join(',');
  if (o.uploadPreset) params.upload_preset = o.uploadPreset;
  if (o.tags?.length) params.tags = o.tags.join(',');
  const signature = sdk.utils.api_sign_request(params, credentials.api_secret, o.signatureAlgorithm);
  const url = sdk.utils.api_url('upload', {
    cloud_name: credentials.cloud_name,
    upload_prefix: credentials.upload_prefix,
    resource_type: resourceType,
  });
  const providerMetadata: Record<string, unknown> = {
    public_id: publicId,
    resource_type: resourceType,
    type: o.delivery,
  };
  if (formats?.length === 1 && resourceType !== 'raw') providerMetadata.format = formats[0];
  ctx.debug('direct upload', {
    public_id: publicId,
    resource_type: resourceType,
    allowed_formats: params.allowed_formats,
  });
  return {
    url,
    method: 'POST',
    fields: { ...params, api_key: credentials.api_key, signature },
    fileField: 'file',
    key,
    expiresAt: new Date((timestamp + UPLOAD_SIGNATURE_LIFETIME) * 1000),
    providerMetadata,
  };
}
