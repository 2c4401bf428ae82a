import type { Kysely, Transaction } from 'kysely';
import { FILE_QUERY_COLUMNS, type ListQuery, type PaginationMeta, runListQuery } from '../query/index.js';
import { createDirectUploadStore, type DirectUploadStore } from './direct-uploads.js';
import { createGroupCommit } from './group-commit.js';
import { createJournal, type Journal } from './journal.js';
import type { ApiTokenRow, Database, Dialect, FileLinkRow, FileRow, FileRowUpdate, NewFileRow } from './schema.js';
import { createTusUploadStore, type TusUploadStore } from './tus-uploads.js';

export interface NewLink {
  ref: string;
  refId: string;
  field: string;
}

/** Page sizes for {@link Repository.listFiles}; `paginate: false` returns every row when no pagination was asked. */
export interface ListPaging {
  maxPageSize: number;
  defaultPageSize: number;
  paginate: boolean;
}

/** The metadata store as the routes see it. Both dialects implement it with the same queries. */
export interface Repository {
  readonly dialect: Dialect;
  insertFile(row: NewFileRow, links?: NewLink[], single?: (link: NewLink) => boolean): Promise<FileRow>;
  /** Updates a row; with `ifObjectKey`, only while it still points at that object (undefined otherwise). */
  updateFile(id: number, patch: FileRowUpdate, ifObjectKey?: string): Promise<FileRow | undefined>;
  findFile(id: number): Promise<FileRow | undefined>;
  findFileBySecretHash(secretHash: string): Promise<FileRow | undefined>;
  /** Deletes the row (and its links) and returns it, or undefined when there was none. */
  deleteFile(id: number): Promise<FileRow | undefined>;
  /**
   * Whole rows for a parsed list query (filters and sort checked against the entity's fields; `fields` narrows the
   * entity later, not the row) and Strapi's pagination meta.
   */
  listFiles(query: ListQuery, paging: ListPaging): Promise<{ rows: FileRow[]; pagination: PaginationMeta }>;
  linksOf(fileIds: number[]): Promise<Map<number, FileLinkRow[]>>;
  /** Up to `limit` rows stored by `provider` with ids above `afterId`, in id order: a whole-table pass a page at a time. */
  filesOfProvider(provider: string, afterId: number, limit: number): Promise<FileRow[]>;
  /** Direct uploads: credentials handed out and their outcome. */
  readonly directUploads: DirectUploadStore;
  /** The write-ahead journal: objects that may be in the storage before (or after) a row owns them. */
  readonly journal: Journal;
  /** Resumable (tus) uploads: offset, length and storage session of each. */
  readonly tusUploads: TusUploadStore;
  createToken(row: { name: string; tokenHash: string; access: ApiTokenRow['access'] }): Promise<ApiTokenRow>;
  findTokenByHash(tokenHash: string): Promise<ApiTokenRow | undefined>;
  /** Whether any token is stored (asked on every request while none is, so cheap on SQLite). */
  hasTokens(): Promise<boolean>;
  touchToken(id: number, at: string): Promise<void>;
  transaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T>;
}

/** What a file row holds in the columns an insert may leave out (see `insertRow`). */
const UNSET_FILE_COLUMNS = {
  alternative_text: null,
  caption: null,
  width: null,
  height: null,
  formats: null,
  ext: null,
  preview_url: null,
  provider_metadata: null,
  secret_hash: null,
  folder_path: '/',
} as const;

export function nowIso(): string {
  return new Date().toISOString();
}

export interface RepositoryOptions {
  /** The journal keys this process holds, shared by the repositories of its transactions. */
  held?: Set<string>;
  /** SQLite's `PRAGMA data_version`: changes when another connection commits (see `OpenDatabase`). */
  dataVersion?: (() => number) | undefined;
  /** Whether tokens exist, as last read, shared with the repositories of its transactions (see `hasTokens`). */
  tokens?: { known?: { version: number; exist: boolean } | undefined };
}

export function createRepository(
  db: Kysely<Database> | Transaction<Database>,
  dialect: Dialect,
  options: RepositoryOptions = {},
): Repository {
  const held = options.held ?? new Set<string>();
  // Whether tokens exist, kept until a token is created on this connection (here or in one of its transactions) or
  // another connection (`upload-server token create`) commits: the answer anonymous access hangs on, without reading
  // the table on every request.
  const tokens = options.tokens ?? {};
  const addLinks = async (
    tx: Kysely<Database>,
    fileId: number,
    links: NewLink[],
    single?: (link: NewLink) => boolean,
  ): Promise<void> => {
    for (const link of links) {
      if (single?.(link)) {
        // A single-media field holds one file: the new one replaces whatever was linked.
        await tx
          .deleteFrom('file_links')
          .where('ref', '=', link.ref)
          .where('ref_id', '=', link.refId)
          .where('field', '=', link.field)
          .execute();
      }
      const last = await tx
        .selectFrom('file_links')
        .select((eb) => eb.fn.max('position').as('max'))
        .where('ref', '=', link.ref)
        .where('ref_id', '=', link.refId)
        .where('field', '=', link.field)
        .executeTakeFirst();
      const position = last?.max === null || last?.max === undefined ? 0 : Number(last.max) + 1;
      await tx
        .insertInto('file_links')
        .values({ file_id: fileId, ref: link.ref, ref_id: link.refId, field: link.field, position })
        .execute();
    }
  };

  // SQLite commits the transactions of one turn together (see group-commit.ts); PostgreSQL runs them side by side.
  const grouped = !db.isTransaction && dialect === 'sqlite' ? createGroupCommit(db) : undefined;
  const inTransaction = <T>(fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> =>
    db.isTransaction ? fn(db) : grouped ? grouped(fn) : db.transaction().execute((tx) => fn(tx));

  /**
   * Inserts a file row and returns it whole. SQLite's `returning *` costs three times the insert itself, so there
   * the row is what was written (every column the insert left out is null, but `folder_path`) with its new id.
   */
  const insertRow = async (executor: Kysely<Database>, row: NewFileRow): Promise<FileRow> => {
    if (dialect !== 'sqlite') return executor.insertInto('files').values(row).returningAll().executeTakeFirstOrThrow();
    const { insertId } = await executor.insertInto('files').values(row).executeTakeFirstOrThrow();
    const written: FileRow = { ...UNSET_FILE_COLUMNS, ...row, id: Number(insertId) };
    // A column given as undefined was left out of the insert: it holds what an unset column holds.
    for (const [column, unset] of Object.entries(UNSET_FILE_COLUMNS))
      (written as Record<string, unknown>)[column] ??= unset;
    return written;
  };

  const repo: Repository = {
    dialect,
    insertFile: (row, links = [], single) =>
      // One statement is atomic on its own: a transaction (two more round trips) only when links come with it.
      links.length === 0
        ? insertRow(db, row)
        : inTransaction(async (tx) => {
            const inserted = await insertRow(tx, row);
            await addLinks(tx, inserted.id, links, single);
            return inserted;
          }),
    updateFile: (id, patch, ifObjectKey) =>
      db
        .updateTable('files')
        .set(patch)
        .where('id', '=', id)
        .$if(ifObjectKey !== undefined, (q) => q.where('object_key', '=', ifObjectKey!))
        .returningAll()
        .executeTakeFirst(),
    findFile: (id) => db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst(),
    findFileBySecretHash: (secretHash) =>
      db.selectFrom('files').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst(),
    deleteFile: (id) =>
      inTransaction(async (tx) => {
        await tx.deleteFrom('file_links').where('file_id', '=', id).execute();
        return tx.deleteFrom('files').where('id', '=', id).returningAll().executeTakeFirst();
      }),
    listFiles: async (query, paging) => {
      const result = await runListQuery(db.selectFrom('files'), query, {
        dialect,
        columns: FILE_QUERY_COLUMNS,
        ...paging,
        // The serialiser needs whole rows; `fields` narrows the entity afterwards.
        selectFields: false,
      });
      return { rows: result.rows as unknown as FileRow[], pagination: result.pagination };
    },
    filesOfProvider: (provider, afterId, limit) =>
      db
        .selectFrom('files')
        .selectAll()
        .where('provider', '=', provider)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute(),
    linksOf: async (fileIds) => {
      const map = new Map<number, FileLinkRow[]>();
      if (fileIds.length === 0) return map;
      const rows = await db
        .selectFrom('file_links')
        .selectAll()
        .where('file_id', 'in', fileIds)
        .orderBy('file_id')
        .orderBy('id')
        .execute();
      for (const row of rows) {
        const list = map.get(row.file_id) ?? [];
        list.push(row);
        map.set(row.file_id, list);
      }
      return map;
    },
    directUploads: createDirectUploadStore(db),
    journal: createJournal(db, held, grouped),
    tusUploads: createTusUploadStore(db),
    createToken: async ({ name, tokenHash, access }) => {
      tokens.known = undefined;
      const row = await db
        .insertInto('api_tokens')
        .values({ name, token_hash: tokenHash, access, created_at: nowIso(), last_used_at: null })
        .returningAll()
        .executeTakeFirstOrThrow();
      tokens.known = undefined;
      return row;
    },
    findTokenByHash: (tokenHash) =>
      db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
    hasTokens: async () => {
      const version = options.dataVersion?.();
      if (version !== undefined && tokens.known?.version === version) return tokens.known.exist;
      const exist = (await db.selectFrom('api_tokens').select('id').limit(1).executeTakeFirst()) !== undefined;
      if (version !== undefined) tokens.known = { version, exist };
      return exist;
    },
    touchToken: async (id, at) => {
      await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    },
    transaction: (fn) => inTransaction((tx) => fn(createRepository(tx, dialect, { held, tokens }))),
  };
  return repo;
}
