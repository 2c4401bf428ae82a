/** The parts of the public REST API the page uses: the same calls any third-party client can make. */

export interface Format {
  url: string;
  width: number | null;
  height: number | null;
  mime: string;
}

/** A file entity as `GET /api/upload/files` answers it (Strapi v5's shape). */
export interface FileEntity {
  id: number;
  documentId: string;
  name: string;
  alternativeText: string | null;
  caption: string | null;
  width: number | null;
  height: number | null;
  formats: Record<string, Format> | null;
  ext: string | null;
  mime: string;
  /** Kilobytes of 1000 bytes. */
  size: number;
  url: string;
  createdAt: string;
  updatedAt: string;
  isUrlSigned?: boolean;
}

export interface Pagination {
  page: number;
  pageSize: number;
  pageCount: number;
  total: number;
}

export interface FileInfo {
  name?: string;
  alternativeText?: string | null;
  caption?: string | null;
}

/** An answer other than 2xx, with the server's own message (its Strapi error envelope). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The message of an error envelope, or a sentence about the status when the body is not one. */
export function errorMessage(status: number, body: unknown): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  if (typeof message === 'string' && message) return message;
  if (status === 0) return 'The server could not be reached';
  return `The server answered ${status}`;
}

async function parse(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export type TypeFamily = 'all' | 'image' | 'video' | 'audio' | 'document' | 'other';
export type SortOrder = 'createdAt:desc' | 'createdAt:asc' | 'name:asc' | 'name:desc' | 'size:desc' | 'size:asc';

export interface ListQuery {
  search: string;
  type: TypeFamily;
  sort: SortOrder;
  page: number;
  pageSize: number;
}

const DOCUMENT_FILTERS = [{ mime: { $eq: 'application/pdf' } }, { mime: { $startsWith: 'text/' } }];
const MEDIA_PREFIXES = ['image/', 'video/', 'audio/'];

/** Query parameters in the bracket syntax the API (and Strapi) read. */
export function listParams(query: ListQuery): URLSearchParams {
  const params = new URLSearchParams();
  let and = 0;
  const filter = (path: string, value: string) => params.append(`filters[$and][${and}]${path}`, value);
  if (query.search.trim()) {
    filter('[name][$containsi]', query.search.trim());
    and++;
  }
  if (query.type === 'image' || query.type === 'video' || query.type === 'audio') {
    filter('[mime][$startsWith]', `${query.type}/`);
    and++;
  } else if (query.type === 'document') {
    filter('[$or][0][mime][$eq]', 'application/pdf');
    filter('[$or][1][mime][$startsWith]', 'text/');
    and++;
  } else if (query.type === 'other') {
    // Everything that is neither media nor a document.
    const others = [...MEDIA_PREFIXES.map((p) => ({ mime: { $startsWith: p } })), ...DOCUMENT_FILTERS];
    others.forEach((entry, i) => {
      const [op, value] = Object.entries(entry.mime)[0]!;
      filter(`[$not][$or][${i}][mime][${op}]`, value);
    });
    and++;
  }
  params.set('sort', query.sort);
  params.set('pagination[page]', String(query.page));
  params.set('pagination[pageSize]', String(query.pageSize));
  return params;
}

export interface Api {
  /** `GET /api/upload/files/page`. */
  list(query: ListQuery, signal?: AbortSignal): Promise<{ data: FileEntity[]; pagination: Pagination }>;
  /** `GET /api/upload/files/:id`: a fresh entity, and fresh signed URLs when the storage is private. */
  one(id: number): Promise<FileEntity>;
  /** `POST /api/upload?id=` with `{ fileInfo }`. */
  update(id: number, fileInfo: FileInfo): Promise<FileEntity>;
  /** `DELETE /api/upload/files/:id`. */
  remove(id: number): Promise<void>;
  /**
   * What the current credentials may do: `'none'` (401), `'read'` or `'write'`. The write check sends an upload with
   * no file: a read-only token gets 403 before the body is read, a full-access one a 400 "Files are empty".
   */
  access(): Promise<'none' | 'read' | 'write'>;
  authorization(): Record<string, string>;
}

export function createApi(base: string, token: () => string | undefined): Api {
  const authorization = (): Record<string, string> => {
    const value = token();
    return value ? { authorization: `Bearer ${value}` } : {};
  };
  async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { ...authorization(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, errorMessage(0, null));
    }
    const parsed = await parse(response);
    if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, parsed));
    return parsed as T;
  }
  return {
    authorization,
    async list(query, signal) {
      const answer = await call<{ data: FileEntity[]; meta: { pagination: Pagination } }>(
        'GET',
        `/api/upload/files/page?${listParams(query)}`,
        undefined,
        signal,
      );
      return { data: answer.data, pagination: answer.meta.pagination };
    },
    one: (id) => call<FileEntity>('GET', `/api/upload/files/${id}`),
    update: (id, fileInfo) => call<FileEntity>('POST', `/api/upload?id=${id}`, { fileInfo }),
    async remove(id) {
      await call('DELETE', `/api/upload/files/${id}`);
    },
    async access() {
      try {
        await call('GET', '/api/upload/files/page?pagination[pageSize]=1&fields[0]=id');
      } catch (error) {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return 'none';
        throw error;
      }
      try {
        await call('POST', '/api/upload', {});
        return 'write';
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return error.status === 401 || error.status === 403 ? 'read' : 'write';
      }
    },
  };
}
