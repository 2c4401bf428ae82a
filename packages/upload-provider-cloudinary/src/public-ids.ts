import { ProviderError } from 'upload-provider';
import { normaliseFormat, type ResourceType, resourceTypeForExtension } from './formats.js';

/** Cloudinary's limit on a public id, in characters. */
export const MAX_PUBLIC_ID_CHARS = 255;

// Characters Cloudinary does not allow in a public id. Each becomes `_HH_` (its code in hex), so the id stays readable.
const FORBIDDEN = /[?&#\\%<>+]/g;

/** The extension of a key's last segment (without the dot), or undefined. `a/b.tar.gz` has `gz`; `.hidden` has none. */
export function extensionOf(objectName: string): string | undefined {
  const last = objectName.slice(objectName.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  return dot > 0 && dot < last.length - 1 ? last.slice(dot + 1) : undefined;
}

/**
 * The public id for an object name. Cloudinary appends the format to image and video ids itself, so their extension
 * is dropped (`photos/cat.png` → `photos/cat`); a raw file keeps it (`docs/a.pdf`). Characters Cloudinary forbids are
 * escaped, and ids over 255 characters are refused with `INVALID_INPUT`.
 */
export function publicIdFor(objectName: string, resourceType: ResourceType, provider: string): string {
  let id = objectName;
  const ext = extensionOf(objectName);
  if (resourceType !== 'raw' && ext !== undefined) id = objectName.slice(0, -(ext.length + 1));
  id = id.replace(FORBIDDEN, (c) => `_${c.charCodeAt(0).toString(16).toUpperCase()}_`);
  // A public id must not begin or end with a space.
  id = id.replace(/^ +| +$/g, (spaces) => '_20_'.repeat(spaces.length));
  if (id.length > MAX_PUBLIC_ID_CHARS) {
    throw new ProviderError(
      'INVALID_INPUT',
      `the key makes a public id of ${id.length} characters; Cloudinary allows at most ${MAX_PUBLIC_ID_CHARS}: use a shorter key or folder`,
      { provider, details: { key: objectName.slice(0, 200) } },
    );
  }
  return id;
}

/** Where an object lives on Cloudinary: what `destroy`, the Admin API and delivery URLs need. */
export interface AssetLocation {
  public_id: string;
  resource_type: ResourceType;
  /** The delivery type: `upload`, `authenticated` or `private`. */
  type: string;
  version?: number;
  /** Images and videos: the format Cloudinary detected (`png`); raw files have none (their id keeps the extension). */
  format?: string;
}

const RESOURCE_TYPES: ResourceType[] = ['image', 'video', 'raw'];

/** Reads a location back from `StoredRef.providerMetadata`, or undefined when it is missing or not ours. */
export function locationFromMetadata(metadata: Record<string, unknown> | null | undefined): AssetLocation | undefined {
  if (!metadata) return undefined;
  const { public_id, resource_type, type, version, format } = metadata;
  if (typeof public_id !== 'string' || public_id === '') return undefined;
  if (!RESOURCE_TYPES.includes(resource_type as ResourceType)) return undefined;
  if (typeof type !== 'string' || type === '') return undefined;
  const location: AssetLocation = { public_id, resource_type: resource_type as ResourceType, type };
  if (typeof version === 'number' && Number.isSafeInteger(version)) location.version = version;
  if (typeof format === 'string' && format !== '') location.format = format;
  return location;
}

/**
 * Where an object may live when its ref carries no metadata, most likely first: the resource type its extension
 * suggests, then the other two (the upload may have chosen raw for a file whose bytes were not an image).
 */
export function candidateLocations(objectName: string, type: string, provider: string): AssetLocation[] {
  const ext = extensionOf(objectName);
  const first = resourceTypeForExtension(ext);
  const order = [first, ...RESOURCE_TYPES.filter((t) => t !== first)];
  return order.map((resource_type) => {
    const location: AssetLocation = {
      public_id: publicIdFor(objectName, resource_type, provider),
      resource_type,
      type,
    };
    const format = resource_type === 'raw' ? undefined : normaliseFormat(ext);
    if (format) location.format = format;
    return location;
  });
}

/** Where the Upload API says it stored an asset, falling back to what was asked for where its answer is silent. */
export function locationFromAnswer(answer: Record<string, unknown>, wanted: AssetLocation): AssetLocation {
  const stored: AssetLocation = {
    public_id: typeof answer.public_id === 'string' ? answer.public_id : wanted.public_id,
    resource_type: RESOURCE_TYPES.includes(answer.resource_type as ResourceType)
      ? (answer.resource_type as ResourceType)
      : wanted.resource_type,
    type: typeof answer.type === 'string' ? answer.type : wanted.type,
  };
  if (typeof answer.version === 'number') stored.version = answer.version;
  if (typeof answer.format === 'string' && answer.format !== '' && stored.resource_type !== 'raw') {
    stored.format = answer.format;
  }
  return stored;
}
