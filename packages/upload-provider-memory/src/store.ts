import { createHash, randomBytes } from 'node:crypto';

/** One stored object. `private` objects are served only through signed URLs. */
export interface MemoryObject {
  readonly bytes: Buffer;
  readonly mime: string;
  readonly private: boolean;
  readonly etag: string;
  readonly lastModified: Date;
}

/**
 * Where memory providers keep their objects, by full key (prefix included), and the secret their URLs and
 * direct-upload forms are signed with. Share one store between a provider and the handler that serves it.
 */
export class MemoryStore {
  readonly #objects = new Map<string, MemoryObject>();
  /** Random per store: signatures made for one store never verify on another. */
  readonly secret: Buffer = randomBytes(32);

  get(key: string): MemoryObject | undefined {
    return this.#objects.get(key);
  }

  /** Replaces the object whole (never a mix of two writes). */
  put(key: string, object: MemoryObject): void {
    this.#objects.set(key, object);
  }

  remove(key: string): void {
    this.#objects.delete(key);
  }

  /** Every stored key, sorted. */
  keys(): string[] {
    return [...this.#objects.keys()].sort();
  }

  clear(): void {
    this.#objects.clear();
  }
}

export function createMemoryStore(): MemoryStore {
  return new MemoryStore();
}

/** A new object record, stamped now, with an entity tag from its bytes. */
export function memoryObject(bytes: Buffer, mime: string, isPrivate: boolean): MemoryObject {
  const etag = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  return { bytes, mime, private: isPrivate, etag, lastModified: new Date() };
}
