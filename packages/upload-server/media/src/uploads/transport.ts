import { ApiError, errorMessage, type FileEntity, type FileInfo } from '../api';

/** One file to send: a new upload, or new content for an existing file (`replaceId`). */
export interface UploadTask {
  file: File;
  fileInfo?: FileInfo;
  replaceId?: number;
  /** Bytes sent so far out of `total`. */
  onProgress(sent: number, total: number): void;
  signal: AbortSignal;
}

/**
 * How a file reaches the server. The queue and the page only know this signature, so a resumable transport (tus,
 * once the server has its endpoint) can replace the multipart one without touching them.
 */
export type UploadTransport = (task: UploadTask) => Promise<FileEntity>;

export class UploadCancelled extends Error {
  constructor() {
    super('Cancelled');
  }
}

/**
 * `POST /api/upload` (or `?id=` to replace) with a multipart body, one file per request so each has its own progress,
 * cancel and error. XHR because `fetch` reports no upload progress.
 */
export function multipartTransport(base: string, authorization: () => Record<string, string>): UploadTransport {
  return (task) =>
    new Promise<FileEntity>((resolve, reject) => {
      if (task.signal.aborted) {
        reject(new UploadCancelled());
        return;
      }
      const xhr = new XMLHttpRequest();
      const url = task.replaceId === undefined ? `${base}/api/upload` : `${base}/api/upload?id=${task.replaceId}`;
      xhr.open('POST', url);
      for (const [name, value] of Object.entries(authorization())) xhr.setRequestHeader(name, value);
      xhr.responseType = 'json';
      xhr.upload.onprogress = (event) => task.onProgress(event.loaded, event.lengthComputable ? event.total : 0);
      const onAbort = () => xhr.abort();
      task.signal.addEventListener('abort', onAbort, { once: true });
      const settle = () => task.signal.removeEventListener('abort', onAbort);
      xhr.onabort = () => {
        settle();
        reject(new UploadCancelled());
      };
      xhr.onerror = () => {
        settle();
        reject(new ApiError(0, errorMessage(0, null)));
      };
      xhr.onload = () => {
        settle();
        const body: unknown = xhr.response;
        if (xhr.status < 200 || xhr.status >= 300) {
          reject(new ApiError(xhr.status, errorMessage(xhr.status, body)));
          return;
        }
        // A new upload answers an array of entities, a replacement the entity itself.
        const entity = Array.isArray(body) ? body[0] : body;
        resolve(entity as FileEntity);
      };
      const form = new FormData();
      // fileInfo goes before the file: the server stores files as they stream in.
      if (task.fileInfo) form.append('fileInfo', JSON.stringify(task.fileInfo));
      form.append('files', task.file, task.file.name);
      xhr.send(form);
    });
}
