import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BridgeMetadata } from './file-object.js';

/** The path, under the bridge's base URL, of its signed links. A dot name, which Strapi's hashes never have. */
export const LINK_PATH = '.link';

export interface LinkTarget extends BridgeMetadata {}

/**
 * Signed links: `<baseUrl>/.link?f=<object>&expires=<unix s>&signature=<HMAC-SHA256>`. The bridge's request handler
 * checks them and then serves the object (a file in the public folder) or redirects to where it lives (a fresh
 * `getSignedUrl` URL for a private provider), so every provider gets signed URLs with exact lifetimes.
 */
export class LinkSigner {
  private readonly secret: Buffer;
  constructor(secret?: string) {
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
  }

  sign(target: LinkTarget, expiresAt: Date): string {
    const f = Buffer.from(JSON.stringify(target)).toString('base64url');
    const expires = String(Math.floor(expiresAt.getTime() / 1000));
    return `f=${f}&expires=${expires}&signature=${this.mac(f, expires)}`;
  }

  /** The object a link names, or why it is refused. Compared in constant time over `f` and `expires`. */
  verify(params: URLSearchParams, now = Date.now()): LinkTarget | 'invalid' | 'expired' {
    const f = params.get('f');
    const expires = params.get('expires');
    const signature = params.get('signature');
    if (!f || !expires || !signature || !/^\d{1,12}$/.test(expires)) return 'invalid';
    const expected = Buffer.from(this.mac(f, expires));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    if (Number(expires) * 1000 <= now) return 'expired';
    try {
      return JSON.parse(Buffer.from(f, 'base64url').toString('utf8')) as LinkTarget;
    } catch {
      return 'invalid';
    }
  }

  private mac(f: string, expires: string): string {
    return createHmac('sha256', this.secret).update(`${f}\n${expires}`).digest('base64url');
  }
}
