/** Cloudinary's three kinds of asset. Images and videos are decoded by Cloudinary; raw files are stored as is. */
export type ResourceType = 'image' | 'video' | 'raw';

/** Formats Cloudinary stores as `image` resources that a browser names with an `image/*` type. */
export const IMAGE_FORMATS: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  heic: 'image/heic',
  bmp: 'image/bmp',
  tiff: 'image/tiff',
  ico: 'image/x-icon',
  svg: 'image/svg+xml',
};

/** Formats Cloudinary stores as `video` resources (audio is a video resource on Cloudinary). */
export const VIDEO_FORMATS: Record<string, string> = {
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  avi: 'video/x-msvideo',
  flv: 'video/x-flv',
  ogv: 'video/ogg',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  aac: 'audio/aac',
};

const EXTENSION_ALIASES: Record<string, string> = {
  jpeg: 'jpg',
  jpe: 'jpg',
  tif: 'tiff',
  m4v: 'mp4',
  qt: 'mov',
  oga: 'ogg',
};

/** The resource type a content type asks for: `image/*` is image, `video/*` and `audio/*` are video, the rest raw. */
export function resourceTypeForMime(mime: string): ResourceType {
  const family = mime.split('/')[0]?.trim().toLowerCase();
  if (family === 'image') return 'image';
  if (family === 'video' || family === 'audio') return 'video';
  return 'raw';
}

/** The resource type a key's extension suggests, for refs that carry no provider metadata. */
export function resourceTypeForExtension(ext: string | undefined): ResourceType {
  const format = normaliseFormat(ext);
  if (format && format in IMAGE_FORMATS) return 'image';
  if (format && format in VIDEO_FORMATS) return 'video';
  return 'raw';
}

export function normaliseFormat(ext: string | undefined): string | undefined {
  if (!ext) return undefined;
  const lower = ext.toLowerCase();
  return EXTENSION_ALIASES[lower] ?? lower;
}

/** A content type for a Cloudinary format, when it is one of the known image or video formats. */
export function mimeForFormat(format: string | undefined): string | undefined {
  const f = normaliseFormat(format);
  if (!f) return undefined;
  return IMAGE_FORMATS[f] ?? VIDEO_FORMATS[f];
}

/**
 * The `allowed_formats` that pin a direct upload to `mime`: the format of an exact type (`image/png` → `png`), or every
 * known format of a family (`image/*`). Undefined for raw files, whose type Cloudinary does not detect.
 */
export function allowedFormatsFor(mime: string): string[] | undefined {
  const [family, subtype] = mime.toLowerCase().split('/') as [string, string];
  const table =
    family === 'image' ? IMAGE_FORMATS : family === 'video' || family === 'audio' ? VIDEO_FORMATS : undefined;
  if (!table) return undefined;
  const inFamily = Object.entries(table).filter(([, m]) => m.startsWith(`${family}/`));
  if (subtype === '*') return inFamily.map(([f]) => f);
  const exact = inFamily.filter(([, m]) => m === `${family}/${subtype}`).map(([f]) => f);
  return exact.length > 0 ? exact : undefined;
}

const ascii = (bytes: Uint8Array, start: number, text: string) =>
  bytes.length >= start + text.length &&
  Buffer.from(bytes.subarray(start, start + text.length)).toString('latin1') === text;

/** How many leading bytes {@link sniffResourceType} looks at. */
export const SNIFF_BYTES = 64;

/**
 * Whether the first bytes of a file are an image or a video/audio container Cloudinary decodes. Cloudinary refuses an
 * `image` or `video` upload whose bytes are not one ("Invalid image file"), so a file that merely claims such a type
 * is stored as raw instead.
 */
export function sniffResourceType(head: Uint8Array): ResourceType {
  const b = head;
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 'PNG')) return 'image';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'image';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image';
  if (ascii(b, 0, 'BM') && b.length >= 14) return 'image';
  if (ascii(b, 0, 'II*\u0000') || ascii(b, 0, 'MM\u0000*')) return 'image';
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0) return 'image';
  if (ascii(b, 4, 'ftyp')) {
    const brand = Buffer.from(b.subarray(8, 12)).toString('latin1');
    return ['avif', 'avis', 'heic', 'heix', 'mif1', 'msf1'].includes(brand) ? 'image' : 'video';
  }
  const text = Buffer.from(b)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'image';
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'video';
  if (ascii(b, 0, 'OggS') || ascii(b, 0, 'fLaC') || ascii(b, 0, 'ID3') || ascii(b, 0, 'FLV')) return 'video';
  if (ascii(b, 0, 'RIFF') && (ascii(b, 8, 'WAVE') || ascii(b, 8, 'AVI '))) return 'video';
  if (b.length >= 2 && b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0 && ((b[1] ?? 0) & 0x06) !== 0) return 'video';
  return 'raw';
}

/**
 * The resource type to upload as: the one the content type asks for when the bytes agree, raw otherwise (a "PNG" that
 * is not one would be refused by Cloudinary's image pipeline).
 */
export function chooseResourceType(mime: string, head: Uint8Array): ResourceType {
  const wanted = resourceTypeForMime(mime);
  if (wanted === 'raw') return 'raw';
  const found = sniffResourceType(head);
  return found === wanted ? wanted : 'raw';
}
