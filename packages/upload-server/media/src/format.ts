import type { FileEntity, TypeFamily } from './api';

/** Bytes in the units people read (kB of 1000 bytes, as the API's `size`). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** The entity's `size` is in kB: back to bytes for display. */
export const entityBytes = (file: FileEntity) => Math.round(file.size * 1000);

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatDate = (iso: string) => dateFormat.format(new Date(iso));

export function familyOf(mime: string): Exclude<TypeFamily, 'all'> {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime === 'application/pdf' || mime.startsWith('text/')) return 'document';
  return 'other';
}

export function dimensions(file: FileEntity): string {
  return file.width && file.height ? `${file.width} × ${file.height}` : '—';
}

/** A short label for the type tile: the extension, else the MIME subtype. */
export function typeLabel(file: FileEntity): string {
  const ext = (file.ext ?? '').replace(/^\./, '');
  return (ext || file.mime.split('/')[1] || 'file').slice(0, 5).toUpperCase();
}

/** The smallest stored picture of an image that still fills a card. */
export function thumbnailUrl(file: FileEntity): string | null {
  if (!file.mime.startsWith('image/')) return null;
  return file.formats?.thumbnail?.url ?? file.formats?.small?.url ?? file.url;
}
