import type { UploadsContext } from '../context.js';
import type { FileEntity } from '../routes/strapi/entity.js';
import type { FileRow } from '../store/schema.js';

/**
 * Gives an entity the URLs a client can use. Placeholder until signed URLs land (SERVER-DIRECT owns this file):
 * plain URLs, `isUrlSigned: false`.
 */
export async function decorateUrls(entity: FileEntity, _ctx: UploadsContext, _row?: FileRow): Promise<FileEntity> {
  return { ...entity, isUrlSigned: false };
}
