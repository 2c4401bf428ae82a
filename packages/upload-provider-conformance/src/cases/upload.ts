import type { Readable } from 'node:stream';
import type { StoredFile } from 'upload-provider';
import type { Ctx } from './plan.js';

/** Uploads through the provider under a fresh key (unless given) and tracks the object for clean-up. */
export async function upload(
  ctx: Ctx,
  body: Uint8Array | Readable,
  fields: Partial<{ key: string; mime: string; name: string; size: number }> = {},
): Promise<StoredFile> {
  const key = fields.key ?? ctx.key('file.bin');
  const size = fields.size ?? (body instanceof Uint8Array ? body.byteLength : undefined);
  const stored = await ctx.provider.upload({
    key,
    body,
    ...(size === undefined ? {} : { size }),
    mime: fields.mime ?? 'application/octet-stream',
    name: fields.name ?? 'file.bin',
  });
  ctx.track(stored.key, stored.providerMetadata);
  return stored;
}
