import { createAdopt } from './adopt.js';
import { createCommit } from './commit.js';
import { createStage } from './stage.js';
import type { Uploads, UploadsDeps } from './types.js';

export { tooLarge } from './inspect.js';
export { folderOf } from './stage.js';
export type { AdoptInput, CommitOptions, FileInfo, IngestInput, StagedFile, Uploads, UploadsDeps } from './types.js';

/** The upload pipeline: stage or adopt, then commit; discard undoes, remove deletes a file. */
export function createUploads(deps: UploadsDeps): Uploads {
  const stage = createStage(deps);
  const adopt = createAdopt(deps);
  const { commit, discard, remove } = createCommit(deps);
  const ingest: Uploads['ingest'] = async (input) => {
    const staged = await stage(input);
    return commit(staged, {
      ...(input.fileInfo ? { fileInfo: input.fileInfo } : {}),
      ...(input.links ? { links: input.links } : {}),
      ...(input.replaceId !== undefined ? { replaceId: input.replaceId } : {}),
    });
  };
  return { ingest, stage, adopt, commit, discard, remove };
}
