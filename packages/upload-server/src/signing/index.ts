import type { StoredRef, UploadProvider } from 'upload-provider';
import { type FileEntity, type FormatEntity, refOf } from '../files/model.js';
import { formatKey } from '../images/index.js';
import type { FileRow } from '../store/schema.js';

/** Default lifetime of the signed URLs in file entities: 15 minutes. */
export const DEFAULT_ENTITY_URL_SECONDS = 15 * 60;

/** What signing needs: the provider, and the lifetime of the URLs it signs (default 15 minutes). */
export interface SigningDeps {
  provider: UploadProvider;
  config: { signedUrlExpiresIn?: number | undefined };
}

/**
 * Gives an entity the URLs a client can use. When the provider is private, `url` and every `formats[*].url` are
 * replaced by signed URLs valid for `config.signedUrlExpiresIn` seconds (default 15 minutes) and `isUrlSigned` is
 * true; otherwise the stored, unsigned URLs stay and `isUrlSigned` is false. The row itself is never changed: the
 * database keeps the unsigned location.
 */
export async function decorateUrls(entity: FileEntity, deps: SigningDeps, row?: FileRow): Promise<FileEntity> {
  const { provider, config } = deps;
  if (!row || !provider.isPrivate()) {
    return { ...entity, isUrlSigned: false };
  }
  const expiresIn = config.signedUrlExpiresIn ?? DEFAULT_ENTITY_URL_SECONDS;
  const signed = await provider.signUrl(refOf(row), { expiresIn });
  let formats = entity.formats;
  if (formats) {
    const entries = await Promise.all(
      Object.entries(formats).map(async ([name, format]): Promise<[string, FormatEntity]> => {
        const ref: StoredRef = {
          key: formatKey(row.object_key, name),
          providerMetadata: format.provider_metadata ?? null,
        };
        const { url } = await provider.signUrl(ref, { expiresIn });
        return [name, { ...format, url, isUrlSigned: true }];
      }),
    );
    formats = Object.fromEntries(entries);
  }
  return { ...entity, url: signed.url, formats, isUrlSigned: true };
}
