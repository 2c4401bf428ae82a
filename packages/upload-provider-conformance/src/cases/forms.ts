import type { DirectUpload } from 'upload-provider';
import type { Ctx } from './plan.js';

/** POSTs a browser-style multipart form: the credential fields (with `override` applied), then the file part. */
export function postForm(
  ctx: Ctx,
  upload: Pick<DirectUpload, 'url' | 'fields' | 'fileField'>,
  bytes: Uint8Array,
  type: string,
  fileName = 'upload.bin',
  override: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...upload.fields, ...override })) form.append(k, v);
  form.append(upload.fileField, new Blob([bytes], { type }), fileName);
  return ctx.fetch(upload.url, { method: 'POST', body: form });
}

/** The name of the form field that pins the content type, when the credentials carry one. */
export function typeFieldOf(upload: Pick<DirectUpload, 'fields'>): string | undefined {
  return Object.keys(upload.fields).find((k) => k.toLowerCase() === 'content-type');
}
