import type { UploadTransport } from './transport';

/**
 * Files larger than this go through the resumable endpoint (`/api/upload/tus`), smaller ones as one multipart
 * request: below it a dropped connection costs little, and multipart needs one request instead of three.
 */
export const RESUMABLE_ABOVE = 8 * 1024 * 1024;

/** Large new files through `resumable`; small files and replacements (tus creates files only) through `simple`. */
export function transportBySize(simple: UploadTransport, resumable: UploadTransport): UploadTransport {
  return (task) => (task.replaceId === undefined && task.file.size > RESUMABLE_ABOVE ? resumable(task) : simple(task));
}
