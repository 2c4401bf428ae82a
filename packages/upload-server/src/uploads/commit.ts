import { HttpError } from '../errors.js';
import { roundKb } from '../files/model.js';
import { newDocumentId, sanitiseName, sha256Hex } from '../files/names.js';
import { type NewLink, nowIso } from '../store/repository.js';
import type { FileEntityRow, FileRow, NewFileRow } from '../store/schema.js';
import { compensator, pendingOfRow, refsOf } from './pending.js';
import { pauseForTest } from './test-pause.js';
import type { CommitOptions, StagedFile, Uploads, UploadsDeps } from './types.js';

/** The last step of the pipeline (the row) and the compensation that undoes the earlier ones. */
export function createCommit(deps: UploadsDeps): Pick<Uploads, 'commit' | 'discard' | 'remove'> {
  const { config, provider, repo } = deps;
  const compensate = compensator(deps);

  const discard = (staged: StagedFile) => compensate(staged.objects, staged.pending);

  /** Removes a row's objects, pending in the journal since before the row let go of them. */
  const removeObjects = async (row: FileRow) => {
    const entries = pendingOfRow(row);
    await compensate(
      refsOf(entries),
      entries.map((e) => e.key),
    );
  };

  /** Records a row's objects as pending before the row lets go of them; `keep()` undoes that if it does not. */
  const letGo = async (row: FileRow) => {
    const entries = pendingOfRow(row);
    const keys = entries.map((e) => e.key);
    await repo.journal.record(entries);
    return {
      entries,
      keys,
      // The row still owns them: clear (if even that fails, the sweep finds them referenced and keeps them).
      keep: () => repo.journal.clear(keys).catch(() => undefined),
    };
  };

  const remove = async (row: FileRow) => {
    // Pending first: a process killed between the row's delete and the objects' leaves them to the sweep.
    const before = await letGo(row);
    let deleted: FileRow | undefined;
    try {
      deleted = await repo.deleteFile(row.id);
    } catch (error) {
      await before.keep();
      throw error;
    }
    await removeObjects(deleted ?? row);
    // Replaced in between: the objects recorded first are the old ones (already removed by the replace).
    if (deleted && deleted.object_key !== row.object_key) await compensate(refsOf(before.entries), before.keys);
    return deleted;
  };

  const commit = async (staged: StagedFile, options: CommitOptions = {}): Promise<FileEntityRow> => {
    await pauseForTest('after-store');
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
        // The update holds only while the row still points at the objects read here: a replace of the same file
        // that wins in between (on any server) makes it read again, so the objects it let go are the ones removed.
        for (let attempt = 0; attempt < 10; attempt++) {
          const old = await repo.findFile(options.replaceId);
          if (!old) throw new HttpError(404, 'file.notFound');
          // The old objects are pending from before the row lets go of them until they are removed.
          const before = await letGo(old);
          let row: FileRow | undefined;
          try {
            row = await repo.transaction(async (tx) => {
              const patch = {
                ...content,
                name,
                ...(info.alternativeText !== undefined ? { alternative_text: info.alternativeText } : {}),
                ...(info.caption !== undefined ? { caption: info.caption } : {}),
              };
              const updated = await tx.updateFile(old.id, patch, old.object_key);
              if (updated) await tx.journal.clear(staged.pending);
              return updated;
            });
          } catch (error) {
            await before.keep();
            throw error;
          }
          if (!row) {
            await before.keep();
            continue;
          }
          await removeObjects(old);
          return row;
        }
        throw new HttpError(409, 'The file is being replaced by other requests at the same time: try again');
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
      // The row and the end of its objects' pending state, in one transaction.
      const inserted = await repo.transaction(async (tx) => {
        const written = await tx.insertFile(row, options.links ?? [], single);
        await tx.journal.clear(staged.pending);
        return written;
      });
      return staged.secret ? { ...inserted, secret: staged.secret } : inserted;
    } catch (error) {
      await discard(staged);
      throw error;
    }
  };

  return { commit, discard, remove };
}
