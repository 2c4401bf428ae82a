import type { StoredRef } from 'upload-provider';
import { HttpError } from '../errors.js';
import { refOf, roundKb, storedFormats } from '../files/model.js';
import { newDocumentId, sanitiseName, sha256Hex } from '../files/names.js';
import { formatKey } from '../images/index.js';
import { type NewLink, nowIso } from '../store/repository.js';
import type { FileEntityRow, FileRow, NewFileRow } from '../store/schema.js';
import type { CommitOptions, StagedFile, Uploads, UploadsDeps } from './types.js';

/** Removes one object, logging (never throwing) when the storage refuses: the caller is already undoing. */
export function removeQuietly(deps: Pick<UploadsDeps, 'provider' | 'log'>) {
  return async (ref: StoredRef): Promise<void> => {
    try {
      await deps.provider.delete(ref);
    } catch (error) {
      // The row is already gone or never existed: an object left here is an orphan; say so for the operator.
      deps.log.error({ err: error, key: ref.key }, 'could not remove a stored object; it is now an orphan');
    }
  };
}

/** The last step of the pipeline (the row) and the compensation that undoes the earlier ones. */
export function createCommit(deps: UploadsDeps): Pick<Uploads, 'commit' | 'discard' | 'removeObjects'> {
  const { config, provider, repo } = deps;
  const remove = removeQuietly(deps);

  const discard = async (staged: StagedFile) => {
    await Promise.all(staged.objects.map(remove));
  };

  const removeObjects = async (row: FileRow) => {
    const refs: StoredRef[] = [
      refOf(row),
      ...Object.entries(storedFormats(row) ?? {}).map(([name, f]) => ({
        key: formatKey(row.object_key, name),
        providerMetadata: f.provider_metadata ?? null,
      })),
    ];
    await Promise.all(refs.map(remove));
  };

  const commit = async (staged: StagedFile, options: CommitOptions = {}): Promise<FileEntityRow> => {
    const now = nowIso();
    const info = options.fileInfo ?? {};
    const name = info.name ? sanitiseName(info.name, staged.filename) : staged.filename;
    const content = {
      width: staged.width,
      height: staged.height,
      formats: staged.formats ? JSON.stringify(staged.formats) : null,
      hash: staged.hash,
      ext: staged.ext,
      mime: staged.mime,
      size: roundKb(staged.bytes),
      size_in_bytes: staged.bytes,
      url: staged.stored.url,
      preview_url: null,
      provider: provider.name,
      provider_metadata: staged.stored.providerMetadata ? JSON.stringify(staged.stored.providerMetadata) : null,
      folder_path: staged.folderPath,
      object_key: staged.key,
      updated_at: now,
    };
    try {
      if (options.replaceId !== undefined) {
        const old = await repo.findFile(options.replaceId);
        if (!old) throw new HttpError(404, 'file.notFound');
        const row = await repo.updateFile(options.replaceId, {
          ...content,
          name,
          ...(info.alternativeText !== undefined ? { alternative_text: info.alternativeText } : {}),
          ...(info.caption !== undefined ? { caption: info.caption } : {}),
        });
        if (!row) throw new HttpError(404, 'file.notFound');
        await removeObjects(old);
        return row;
      }
      const row: NewFileRow = {
        ...content,
        document_id: newDocumentId(),
        name,
        alternative_text: info.alternativeText ?? null,
        caption: info.caption ?? null,
        secret_hash: staged.secret ? sha256Hex(staged.secret) : null,
        created_at: now,
      };
      const single = (link: NewLink) => config.contentTypes[link.ref]?.[link.field] === 'single';
      const inserted = await repo.insertFile(row, options.links ?? [], single);
      return staged.secret ? { ...inserted, secret: staged.secret } : inserted;
    } catch (error) {
      await discard(staged);
      throw error;
    }
  };

  return { commit, discard, removeObjects };
}
