import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { finished } from 'node:stream';
import {
  ByteCounter,
  buildKey,
  isProviderError,
  normalisePrefix,
  ProviderError,
  type StoredFile,
  type StoredRef,
} from 'upload-provider';
import { isInlineSafe } from '../content/index.js';
import { HttpError } from '../errors.js';
import { isRaster } from '../images/index.js';
import { inspect, isTooLarge, tooLarge } from './inspect.js';
import { compensator, pendingFormats } from './pending.js';
import { type ImageFacts, makeFormats, NO_IMAGE, probeImage, type Spooled, spool } from './spool.js';
import type { IngestInput, StagedFile, UploadsDeps } from './types.js';

/** The key prefix and the row's `folder_path` for Strapi's `path` field. */
export function folderOf(folderPath: string | undefined): { prefix: string; folderPath: string } {
  const prefix = folderPath ? normalisePrefix(folderPath) : '';
  return { prefix, folderPath: prefix ? `/${prefix}` : '/' };
}

/** A download secret when asked for: 24 random bytes, base64url. Only its sha256 is stored. */
export function newSecret(wanted: boolean | undefined): { secret?: string } {
  return wanted ? { secret: randomBytes(24).toString('base64url') } : {};
}

/**
 * Bytes from a client into the storage: inspect, then either spool (raster images, or providers that need a known
 * size) and probe before storing, or stream straight through. No row; nothing left behind when it rejects.
 */
export function createStage(deps: UploadsDeps): (input: IngestInput) => Promise<StagedFile> {
  const { config, provider, images, repo } = deps;
  const limit = config.sizeLimit;
  const compensate = compensator(deps);

  return async (input) => {
    const { signal } = input;
    const counter = new ByteCounter(limit);
    const objects: StoredRef[] = [];
    const pending: string[] = [];
    let spooled: Spooled | undefined;
    try {
      if (signal?.aborted) throw new ProviderError('ABORTED', 'the upload was aborted');
      const file = await inspect(input.stream, input, { allowed: config.allowedTypes, denied: config.deniedTypes });
      const { mime, slug, ext, name } = file;
      const random = randomBytes(5).toString('hex');
      const hash = `${slug}_${random}`;
      const { prefix, folderPath } = folderOf(input.folderPath);
      const key = buildKey(`${slug}${ext ?? ''}`, { prefix, random });
      const disposition = isInlineSafe(mime) ? 'inline' : 'attachment';

      let stored: StoredFile;
      let image: ImageFacts = NO_IMAGE;
      const raster = images !== null && isRaster(mime);
      // Write-ahead: the keys are pending before any byte of them reaches the storage.
      const recordPending = async () => {
        const entries = [{ key }, ...(raster ? pendingFormats(config.images, key) : [])];
        await repo.journal.record(entries);
        pending.push(...entries.map((e) => e.key));
      };
      if (raster || !provider.capabilities.unknownSize) {
        spooled = await spool(file.stream, counter, { tempDir: config.tempDir, signal });
        // A source cut at the limit (the multipart parser's) is a file too large, not a damaged image.
        if (input.truncated?.()) throw tooLarge(limit);
        if (raster) image = await probeImage(images, spooled, mime);
        await recordPending();
        stored = await provider.upload(
          { key, body: createReadStream(spooled.path), size: spooled.bytes, mime, name, disposition },
          { signal },
        );
        objects.push({ key: stored.key, providerMetadata: stored.providerMetadata ?? null });
        if (raster && image.width !== null && config.images.formats) {
          const formatInput = { key: stored.key, name, hash, ext, mime, provider, signal };
          image = { ...image, formats: await makeFormats(images, spooled, formatInput, objects) };
        }
      } else {
        await recordPending();
        const body = file.stream.pipe(counter);
        // `finished` also reports a source that failed or closed early while its key was journalled, before this.
        // The provider sees that failure through the body it reads; until it listens, the event must not go unheard.
        counter.on('error', () => undefined);
        finished(file.stream, (error) => {
          if (error) counter.destroy(error);
        });
        stored = await provider.upload({ key, body, mime, name, disposition }, { signal });
        objects.push({ key: stored.key, providerMetadata: stored.providerMetadata ?? null });
      }
      if (counter.bytes > limit || input.truncated?.()) throw tooLarge(limit);
      return {
        key: stored.key,
        filename: name,
        hash,
        ext,
        mime,
        bytes: counter.bytes,
        ...image,
        stored,
        folderPath,
        ...newSecret(input.withSecret),
        objects,
        pending,
      };
    } catch (error) {
      await compensate(objects, pending);
      input.stream.resume();
      if (error instanceof HttpError) throw error;
      if (input.truncated?.() || isTooLarge(error, counter, limit)) throw tooLarge(limit);
      if (signal?.aborted || isProviderError(error, 'ABORTED')) {
        throw new HttpError(499, 'The upload was aborted by the client');
      }
      const sourceError = input.stream.errored;
      if (sourceError) {
        // The request body itself failed (cut short or malformed): the client's doing, not the storage's.
        throw new HttpError(400, `The upload body is malformed or ended early: ${sourceError.message}`);
      }
      if (isProviderError(error, 'INVALID_INPUT')) throw new HttpError(400, error.message);
      throw error;
    } finally {
      await spooled?.remove();
    }
  };
}
