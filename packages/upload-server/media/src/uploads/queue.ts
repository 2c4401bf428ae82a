import type { FileEntity } from '../api';
import { UploadCancelled, type UploadTransport } from './transport';

export type UploadStatus = 'waiting' | 'uploading' | 'done' | 'failed' | 'cancelled';

export interface UploadItem {
  id: number;
  name: string;
  size: number;
  /** 0 to 1. */
  progress: number;
  status: UploadStatus;
  /** The server's message when it refused the file (413, 415, …). */
  error?: string;
  entity?: FileEntity;
}

/** Files sent at once: enough to keep the line busy without starving the page's other requests. */
const PARALLEL = 2;

/**
 * Uploads files one by one through a transport. A refused or cancelled file never stops the rest of the batch;
 * `onChange` receives a new array on every change (for rendering), `onUploaded` each stored entity.
 */
export function createUploadQueue(options: {
  transport: UploadTransport;
  onChange(items: UploadItem[]): void;
  onUploaded(entity: FileEntity): void;
}) {
  let items: UploadItem[] = [];
  let nextId = 1;
  const files = new Map<number, File>();
  const controllers = new Map<number, AbortController>();

  const publish = () => options.onChange(items);
  const update = (id: number, change: Partial<UploadItem>) => {
    items = items.map((item) => (item.id === id ? { ...item, ...change } : item));
    publish();
  };

  async function run(id: number): Promise<void> {
    const file = files.get(id)!;
    const controller = new AbortController();
    controllers.set(id, controller);
    update(id, { status: 'uploading' });
    try {
      const entity = await options.transport({
        file,
        signal: controller.signal,
        onProgress: (sent, total) => update(id, { progress: total > 0 ? sent / total : 0 }),
      });
      update(id, { status: 'done', progress: 1, entity });
      options.onUploaded(entity);
    } catch (error) {
      if (error instanceof UploadCancelled) update(id, { status: 'cancelled' });
      else update(id, { status: 'failed', error: (error as Error).message });
    } finally {
      controllers.delete(id);
      files.delete(id);
    }
  }

  function pump(): void {
    const running = items.filter((item) => item.status === 'uploading').length;
    const waiting = items.filter((item) => item.status === 'waiting' && !controllers.has(item.id));
    for (const item of waiting.slice(0, Math.max(0, PARALLEL - running))) {
      void run(item.id).then(pump);
    }
  }

  return {
    add(list: Iterable<File>): void {
      for (const file of list) {
        const id = nextId++;
        files.set(id, file);
        items = [...items, { id, name: file.name, size: file.size, progress: 0, status: 'waiting' }];
      }
      publish();
      pump();
    },
    cancel(id: number): void {
      const controller = controllers.get(id);
      if (controller) controller.abort();
      else if (files.delete(id)) update(id, { status: 'cancelled' });
    },
    /** Forgets finished, failed and cancelled files. */
    clearFinished(): void {
      items = items.filter((item) => item.status === 'waiting' || item.status === 'uploading');
      publish();
    },
  };
}

export type UploadQueue = ReturnType<typeof createUploadQueue>;
