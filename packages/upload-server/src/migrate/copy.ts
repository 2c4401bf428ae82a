import { createHash } from 'node:crypto';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError, type StoredFile, type StoredRef, type UploadProvider } from 'upload-provider';
import type { StoredObject } from './objects.js';

const READ_BACK_PAUSES_MS = [0, 200, 1000];

/** A pass-through that hashes (SHA-256) and counts what flows through it. */
class Digest extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }
  hex(): string {
    return this.hash.digest('hex');
  }
}

/** Streams an object out of `provider`: `read` where it can, else its signed URL. */
export async function openObject(provider: UploadProvider, ref: StoredRef): Promise<Readable> {
  if (provider.capabilities.read && provider.read) return provider.read(ref);
  const { url } = await provider.signUrl(ref, { expiresIn: 900 });
  const res = await fetch(url);
  if (res.status === 404) throw new ProviderError('NOT_FOUND', `${ref.key} is missing`, { provider: provider.name });
  if (!res.ok || !res.body) {
    throw new ProviderError('UNAVAILABLE', `GET of ${ref.key} answered ${res.status}`, { provider: provider.name });
  }
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
}

/** SHA-256 and length of an object, read through `provider`. */
export async function digestOf(provider: UploadProvider, ref: StoredRef): Promise<{ sha256: string; size: number }> {
  const digest = new Digest();
  const body = await openObject(provider, ref);
  await new Promise<void>((resolve, reject) => pipeline(body, digest, (e) => (e ? reject(e) : resolve())).resume());
  return { sha256: digest.hex(), size: digest.bytes };
}

export interface Copied {
  stored: StoredFile;
  sha256: string;
  /** `sha256` when the target's copy was read back and compared; `size` when the target cannot be read. */
  verified: 'sha256' | 'size';
}

function integrity(message: string, provider: string): ProviderError {
  return new ProviderError('INTEGRITY', message, { provider });
}

/**
 * Copies one object from `source` to `target` as a stream, hashing it on the way, then checks the copy: its size, and
 * its SHA-256 read back from the target where the target can be read. A copy that fails a check is deleted.
 */
export async function copyObject(
  source: UploadProvider,
  target: UploadProvider,
  object: StoredObject,
): Promise<Copied> {
  const info = source.stat ? await source.stat(object.ref) : undefined;
  if (info === null)
    throw new ProviderError('NOT_FOUND', `${object.key} is missing from the source`, { provider: source.name });
  const size = info?.size ?? object.size;
  const digest = new Digest();
  const body = pipeline(await openObject(source, object.ref), digest, () => {});
  const stored = await target.upload({ key: object.key, body, size, mime: object.mime, name: object.name });
  const sha256 = digest.hex();
  try {
    if (stored.size !== digest.bytes) {
      throw integrity(`${object.key}: the target stored ${stored.size} bytes of ${digest.bytes}`, target.name);
    }
    if (!target.capabilities.read) return { stored, sha256, verified: 'size' };
    // Some stores answer a write before its bytes are readable (s3rver does: it replies before its file is flushed),
    // so a copy that reads back different is read again after a pause before it counts as corrupt.
    for (const pause of READ_BACK_PAUSES_MS) {
      await sleep(pause);
      const back = await digestOf(target, stored);
      if (back.sha256 === sha256 && back.size === digest.bytes) return { stored, sha256, verified: 'sha256' };
    }
    throw integrity(`${object.key}: the copy read back differs from the source (SHA-256)`, target.name);
  } catch (error) {
    await target.delete(stored).catch(() => {});
    throw error;
  }
}

/**
 * For an object a run started but did not record as done (it stopped between the upload and the record): the
 * target's copy when it is whole and identical to the source, so it is not written again; otherwise null.
 */
export async function existingCopy(
  source: UploadProvider,
  target: UploadProvider,
  object: StoredObject,
): Promise<{ stored: StoredFile; sha256: string } | null> {
  if (!target.stat || !target.capabilities.read) return null;
  const info = await target.stat({ key: object.key });
  if (!info) return null;
  const [ours, theirs] = await Promise.all([digestOf(source, object.ref), digestOf(target, { key: object.key })]);
  if (ours.sha256 !== theirs.sha256 || ours.size !== theirs.size) return null;
  const stored: StoredFile = {
    key: object.key,
    url: target.url({ key: object.key }),
    size: info.size,
    mime: info.mime ?? object.mime,
  };
  return { stored, sha256: ours.sha256 };
}
