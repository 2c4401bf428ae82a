import type { ResolvedOptions } from './options.js';
import type { AssetLocation } from './public-ids.js';
import type { CloudinarySdk } from './sdk.js';

/** The credentials and API address passed on every SDK call (the SDK's own global configuration is not relied on). */
export interface CallCredentials {
  cloud_name: string;
  api_key: string;
  api_secret: string;
  signature_algorithm: 'sha1' | 'sha256';
  upload_prefix: string;
}

/** How assets are delivered: plain CDN URLs, time-limited download URLs, and the lifetimes they are given. */
export interface Delivery {
  /** The plain CDN URL of an asset (it serves only with `upload` delivery). */
  url(loc: AssetLocation): string;
  /** A URL of Cloudinary's download API: serves the original until `expiresAt` (Unix seconds), then refuses it. */
  downloadUrl(loc: AssetLocation, expiresAt: number, attachment: boolean): string;
  /**
   * A lifetime in whole seconds: `expiresIn` (checked by the core against the provider's limits), or the configured
   * `urlExpiresIn` held to `max`.
   */
  lifetime(expiresIn: number | undefined, max: number): number;
}

export function createDelivery(sdk: CloudinarySdk, o: ResolvedOptions, credentials: CallCredentials): Delivery {
  return {
    url: (loc) =>
      sdk.url(loc.public_id, {
        ...credentials,
        resource_type: loc.resource_type,
        type: loc.type,
        version: loc.version,
        format: loc.format,
        secure: o.secure,
        cdn_subdomain: o.cdnSubdomain,
        private_cdn: o.privateCdn,
        secure_distribution: o.secureDistribution,
        cname: o.cname,
        sign_url: false,
        urlAnalytics: false,
      }),
    downloadUrl: (loc, expiresAt, attachment) =>
      sdk.utils.private_download_url(loc.public_id, loc.format ?? '', {
        ...credentials,
        resource_type: loc.resource_type,
        type: loc.type,
        expires_at: expiresAt,
        attachment: attachment || undefined,
      }),
    // Cloudinary's timestamps count whole seconds: a fraction is rounded up, never cut short.
    lifetime: (expiresIn, max) => Math.ceil(expiresIn ?? Math.min(o.urlExpiresIn, max)),
  };
}
