/** What `POST /api/upload/direct` answers. */
export interface Credentials {
  uploadId: string;
  url: string;
  method: string;
  fields: Record<string, string>;
  fileField: string;
  key: string;
  expiresAt: string;
}

/** The form a browser sends to the storage: the fields in order, the file last. */
export function storageForm(c: Credentials, bytes: Uint8Array, type: string, name = 'upload.bin'): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(c.fields)) f.append(k, v);
  f.append(c.fileField, new Blob([bytes], { type }), name);
  return f;
}
