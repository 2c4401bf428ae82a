import type { DetailedError, HttpResponse } from 'tus-js-client';
import { ApiError, errorMessage, type FileEntity } from '../api';
import { UploadCancelled, type UploadTransport } from './transport';

/** Waits before each retry after a dropped connection; tus-js-client then resumes from the server's offset. */
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];

/**
 * The server's message for a refused tus request: its error envelope (`415` from a PATCH) or the plain text tus
 * answers its own refusals in (`413` at creation); a sentence about the status otherwise.
 */
function refusal(response: HttpResponse | null | undefined): string {
  if (!response) return errorMessage(0, null);
  const text = response.getBody()?.trim() ?? '';
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    if (text) return text;
  }
  return errorMessage(response.getStatus(), body);
}

/**
 * `POST /api/upload/tus`, then PATCHes until the last byte, whose answer is `[entity]`. tus-js-client is loaded on
 * the first large file only, so the page does not carry it otherwise. Nothing is kept in localStorage: a cancelled
 * or refused upload is terminated on the server instead of resumed later.
 */
export function tusTransport(base: string, authorization: () => Record<string, string>): UploadTransport {
  return async (task) => {
    const { Upload } = await import('tus-js-client');
    if (task.signal.aborted) throw new UploadCancelled();
    return new Promise<FileEntity>((resolve, reject) => {
      const metadata: Record<string, string> = { filename: task.file.name };
      if (task.file.type) metadata.filetype = task.file.type;
      if (task.fileInfo) metadata.fileInfo = JSON.stringify(task.fileInfo);
      const upload = new Upload(task.file, {
        // Absolute, so tus-js-client can resolve the server's relative `Location` against it.
        endpoint: new URL(`${base}/api/upload/tus`, location.href).href,
        headers: authorization(),
        metadata,
        retryDelays: RETRY_DELAYS,
        storeFingerprintForResuming: false,
        onProgress: (sent, total) => task.onProgress(sent, total),
        onSuccess: ({ lastResponse }) => {
          task.signal.removeEventListener('abort', onAbort);
          let entity: FileEntity | undefined;
          try {
            [entity] = JSON.parse(lastResponse.getBody()) as FileEntity[];
          } catch {}
          if (entity) resolve(entity);
          else reject(new ApiError(lastResponse.getStatus(), 'The server did not answer with the uploaded file'));
        },
        onError: (error) => {
          task.signal.removeEventListener('abort', onAbort);
          const response = (error as DetailedError).originalResponse;
          // Retries are spent or the server refused: remove what it kept (a 415 already terminated it).
          if (upload.url) void upload.abort(true).catch(() => undefined);
          reject(new ApiError(response?.getStatus() ?? 0, refusal(response)));
        },
      });
      const onAbort = () => {
        // `true` sends DELETE for an upload already created, so the server keeps nothing.
        upload.abort(true).then(
          () => reject(new UploadCancelled()),
          () => reject(new UploadCancelled()),
        );
      };
      task.signal.addEventListener('abort', onAbort, { once: true });
      upload.start();
    });
  };
}
