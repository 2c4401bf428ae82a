/** A key as URL path segments: each segment percent-encoded, slashes kept. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

function withoutTrailingSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

/** The percent-encoded path part of a base URL or path, without a trailing slash (`''` for the site root). */
function pathOf(location: string): string {
  return withoutTrailingSlash(new URL(location, 'http://localhost').pathname);
}

/** Where files and direct uploads live, as URLs for clients and as paths for the request handler. */
export class Locations {
  /** `baseUrl` without a trailing slash; file URLs are `${base}/${encodeKey(key)}`. */
  private readonly base: string;
  /** The path the handler serves files under, e.g. `/uploads`. */
  readonly basePath: string;
  /** Where browsers POST direct uploads (an absolute URL when `baseUrl` is one). */
  readonly directUploadUrl: string;
  /** The path the handler accepts direct-upload POSTs on. */
  readonly directUploadPath: string;

  constructor(baseUrl: string, directUploadLocation: string) {
    this.base = withoutTrailingSlash(baseUrl);
    this.basePath = pathOf(baseUrl);
    this.directUploadPath = pathOf(directUploadLocation);
    // A bare path for the upload location inherits the origin of an absolute baseUrl, so browsers can POST to it.
    this.directUploadUrl = directUploadLocation.startsWith('/')
      ? /^https?:\/\//.test(baseUrl)
        ? `${new URL(baseUrl).origin}${this.directUploadPath || '/'}`
        : this.directUploadPath || '/'
      : withoutTrailingSlash(directUploadLocation);
  }

  fileUrl(key: string): string {
    return `${this.base}/${encodeKey(key)}`;
  }
}
