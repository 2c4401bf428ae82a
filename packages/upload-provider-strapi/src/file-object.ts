import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { type StoredRef, slugifyName } from 'upload-provider';
import type { StrapiFile } from './load.js';

/** What the bridge keeps in `providerMetadata`: the Strapi file fields its provider needs to find the object again. */
export interface BridgeMetadata {
  hash: string;
  ext: string;
  path?: string;
  url?: string;
  provider_metadata?: Record<string, unknown> | null;
}

/**
 * Strapi names an object by `hash` + `ext` (and an optional `path`), never by a full key. The bridge derives them
 * from the key: a readable stem plus a digest of the whole key, so distinct keys never share an object and a key
 * alone (without stored metadata) still finds it.
 */
export function namesFor(key: string): { hash: string; ext: string; path?: string } {
  const base = posix.basename(key);
  const { slug, ext } = slugifyName(base);
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 20);
  const dir = posix.dirname(key);
  const path =
    dir === '.'
      ? undefined
      : dir
          .split('/')
          .map((s) => slugifyName(s).slug)
          .join('/');
  return { hash: `${slug}_${digest}`, ext, ...(path ? { path } : {}) };
}

/** The Strapi file object for an object already stored: from its metadata, or derived from its key. */
export function storedFileObject(key: string, ref: StoredRef): StrapiFile {
  const meta = readMetadata(ref);
  const names = meta ?? namesFor(key);
  return {
    name: posix.basename(key),
    hash: names.hash,
    ext: names.ext,
    mime: 'application/octet-stream',
    size: 0,
    ...(names.path ? { path: names.path } : {}),
    folderPath: '/',
    ...(meta?.url ? { url: meta.url } : {}),
    provider_metadata: meta?.provider_metadata ?? null,
  };
}

export function readMetadata(ref: StoredRef): BridgeMetadata | undefined {
  const m = ref.providerMetadata;
  if (!m || typeof m.hash !== 'string' || typeof m.ext !== 'string') return undefined;
  return {
    hash: m.hash,
    ext: m.ext,
    ...(typeof m.path === 'string' ? { path: m.path } : {}),
    ...(typeof m.url === 'string' ? { url: m.url } : {}),
    provider_metadata: (m.provider_metadata as Record<string, unknown> | null | undefined) ?? null,
  };
}

/** Kilobytes with two decimals, as Strapi's upload plugin gives `size`. */
export function kilobytes(bytes: number): number {
  return Math.round((bytes / 1000) * 100) / 100;
}
