import { type Expression, type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { type FilterNode, type ListQuery, QueryError, type Scalar } from './parse.js';

export type ColumnType = 'string' | 'integer' | 'number' | 'datetime' | 'boolean' | 'json';

export interface ColumnSpec {
  column: string;
  type: ColumnType;
  /** The column may hold NULL (sorting then puts NULLs first ascending in both dialects). */
  nullable?: boolean;
  /** False for columns that may be selected but not filtered or sorted on (JSON). Default: true unless `json`. */
  filterable?: boolean;
}

export interface ListQueryOptions {
  dialect: 'sqlite' | 'postgres';
  /** The entity's fields (camelCase, as the API names them) and their columns. A plain string is a text column. */
  columns: Record<string, string | ColumnSpec>;
  /** The largest page size (and `limit`) honoured; larger requests are capped, as Strapi's `maxLimit` does. Default 100. */
  maxPageSize?: number;
  /** Page size when none is asked for. Default 25. */
  defaultPageSize?: number;
  /** The primary key column, used as the final tie-breaker of every sort. Default `id`. */
  idColumn?: string;
  /** Columns always selected when `fields` narrows the selection (what the serialiser needs). Default none. */
  requiredColumns?: string[];
  /** With `fields`, select only those columns (plus `id`, `document_id` and `requiredColumns`). Default true. */
  selectFields?: boolean;
  /**
   * How a page past the first is fetched. `deferred` (default) pages over the sort index in a subquery that reads
   * only ids (`id IN (SELECT id … ORDER BY … LIMIT … OFFSET …)`), then reads the page's rows; `offset` uses a plain
   * `LIMIT … OFFSET …`, which reads every skipped row.
   */
  deepPagination?: 'deferred' | 'offset';
  /** When false and the request gave no pagination, every matching row is returned (the flat list). Default true. */
  paginate?: boolean;
  /**
   * The number of matching rows, when already counted. A page in the back half is then read from the end in reverse
   * (skipping `total - offset - limit` rows instead of `offset`), so the last page costs what the first does.
   */
  total?: number | null;
}

export type ResolvedPagination =
  | { kind: 'page'; page: number; pageSize: number; offset: number; limit: number; withCount: boolean }
  | { kind: 'offset'; start: number; limit: number; offset: number; withCount: boolean }
  | { kind: 'none'; withCount: false };

export type PaginationMeta =
  | { page: number; pageSize: number; pageCount?: number; total?: number }
  | { start: number; limit: number; total?: number }
  | Record<string, never>;

export interface AppliedListQuery<DB, TB extends keyof DB> {
  /** The page of rows. */
  query: SelectQueryBuilder<DB, TB, Record<string, unknown>>;
  /** `count(*)` of every matching row as `count`, or null when `withCount` is false. */
  countQuery: SelectQueryBuilder<DB, TB, { count: number | string | bigint }> | null;
  pagination: ResolvedPagination;
  /** Strapi's `meta.pagination` for a count (null when not counted). */
  meta(total: number | null): PaginationMeta;
}

const STRING_OPERATORS = new Set([
  '$contains',
  '$notContains',
  '$containsi',
  '$notContainsi',
  '$startsWith',
  '$startsWithi',
  '$endsWith',
  '$endsWithi',
  '$eqi',
  '$nei',
]);

function specFor(
  options: ListQueryOptions,
  field: string,
  param: string,
  purpose: 'filter' | 'sort' | 'select',
): ColumnSpec {
  const raw = Object.hasOwn(options.columns, field) ? options.columns[field] : undefined;
  const names = () => Object.keys(options.columns).join(', ');
  if (raw === undefined) throw new QueryError(param, `unknown field "${field}"; known fields: ${names()}`);
  const spec: ColumnSpec = typeof raw === 'string' ? { column: raw, type: 'string' } : raw;
  const filterable = spec.filterable ?? spec.type !== 'json';
  if (purpose !== 'select' && !filterable)
    throw new QueryError(param, `the field "${field}" cannot be used to ${purpose}`);
  return spec;
}

/** A value converted to what the column holds; a 400 naming the parameter when it cannot be. */
function coerce(value: Scalar, spec: ColumnSpec, field: string, param: string): string | number | boolean | null {
  if (value === null) return null;
  const text = String(value).trim();
  switch (spec.type) {
    case 'integer': {
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        throw new QueryError(param, `"${field}" is a whole number; got ${JSON.stringify(String(value))}`);
      }
      return Number(text);
    }
    case 'number': {
      const number = Number(text);
      if (text === '' || !Number.isFinite(number)) {
        throw new QueryError(param, `"${field}" is a number; got ${JSON.stringify(String(value))}`);
      }
      return number;
    }
    case 'datetime': {
      // Stored as ISO-8601 UTC text (`2024-05-01T10:00:00.000Z`), so compare in that exact form.
      const date = typeof value === 'number' ? new Date(value) : new Date(text);
      if (text === '' || Number.isNaN(date.getTime())) {
        throw new QueryError(param, `"${field}" is a date; give an ISO 8601 date such as 2024-05-01T10:00:00Z`);
      }
      return date.toISOString();
    }
    case 'boolean': {
      if (['true', '1', 't'].includes(text.toLowerCase())) return true;
      if (['false', '0', 'f'].includes(text.toLowerCase())) return false;
      throw new QueryError(param, `"${field}" is true or false; got ${JSON.stringify(String(value))}`);
    }
    default:
      return String(value);
  }
}

/** Escapes LIKE's wildcards (`%`, `_`) and the escape character itself, for `LIKE … ESCAPE '\'`. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Escapes GLOB's wildcards (`*`, `?`, `[`) by wrapping each in a one-character class. */
export function escapeGlob(value: string): string {
  return value.replace(/[*?[]/g, (c) => `[${c}]`);
}

type Match = 'contains' | 'startsWith' | 'endsWith';

/**
 * A substring match. Case-sensitive: SQLite's LIKE ignores ASCII case, so SQLite uses GLOB (case-sensitive);
 * PostgreSQL's LIKE is case-sensitive. Case-insensitive: SQLite's LIKE (ASCII letters only: SQLite has no Unicode
 * case folding without ICU), PostgreSQL's ILIKE. User input never acts as a wildcard.
 */
function substring(
  column: RawBuilder<unknown>,
  value: string,
  match: Match,
  caseSensitive: boolean,
  dialect: ListQueryOptions['dialect'],
): RawBuilder<SqlBool> {
  if (dialect === 'sqlite' && caseSensitive) {
    const body = escapeGlob(value);
    const pattern = match === 'contains' ? `*${body}*` : match === 'startsWith' ? `${body}*` : `*${body}`;
    return sql<SqlBool>`${column} GLOB ${pattern}`;
  }
  const body = escapeLike(value);
  const pattern = match === 'contains' ? `%${body}%` : match === 'startsWith' ? `${body}%` : `%${body}`;
  const operator = dialect === 'postgres' && !caseSensitive ? sql`ILIKE` : sql`LIKE`;
  return sql<SqlBool>`${column} ${operator} ${pattern} ESCAPE '\\'`;
}

function compileCondition(
  node: Extract<FilterNode, { kind: 'condition' }>,
  options: ListQueryOptions,
): RawBuilder<SqlBool> {
  const spec = specFor(options, node.field, node.param, 'filter');
  const column = sql.ref(spec.column);
  const one = (value: Scalar | Scalar[]) => coerce(value as Scalar, spec, node.field, node.param);
  const list = () => (node.value as Scalar[]).map((value) => coerce(value, spec, node.field, node.param));
  if (STRING_OPERATORS.has(node.operator) && spec.type !== 'string') {
    throw new QueryError(node.param, `${node.operator} works on text fields; "${node.field}" is ${spec.type}`);
  }
  const text = () => String(node.value);
  switch (node.operator) {
    case '$eq': {
      const value = one(node.value);
      return value === null ? sql<SqlBool>`${column} IS NULL` : sql<SqlBool>`${column} = ${value}`;
    }
    case '$ne': {
      const value = one(node.value);
      return value === null ? sql<SqlBool>`${column} IS NOT NULL` : sql<SqlBool>`${column} <> ${value}`;
    }
    case '$eqi':
      return sql<SqlBool>`lower(${column}) = lower(${text()})`;
    case '$nei':
      return sql<SqlBool>`lower(${column}) <> lower(${text()})`;
    case '$in':
      return sql<SqlBool>`${column} IN (${sql.join(list())})`;
    case '$notIn':
      return sql<SqlBool>`${column} NOT IN (${sql.join(list())})`;
    case '$lt':
      return sql<SqlBool>`${column} < ${one(node.value)}`;
    case '$lte':
      return sql<SqlBool>`${column} <= ${one(node.value)}`;
    case '$gt':
      return sql<SqlBool>`${column} > ${one(node.value)}`;
    case '$gte':
      return sql<SqlBool>`${column} >= ${one(node.value)}`;
    case '$between': {
      const [low, high] = list();
      return sql<SqlBool>`${column} BETWEEN ${low} AND ${high}`;
    }
    case '$null':
      return node.value ? sql<SqlBool>`${column} IS NULL` : sql<SqlBool>`${column} IS NOT NULL`;
    case '$notNull':
      return node.value ? sql<SqlBool>`${column} IS NOT NULL` : sql<SqlBool>`${column} IS NULL`;
    case '$contains':
      return substring(column, text(), 'contains', true, options.dialect);
    case '$containsi':
      return substring(column, text(), 'contains', false, options.dialect);
    case '$notContains':
      return sql<SqlBool>`NOT (${substring(column, text(), 'contains', true, options.dialect)})`;
    case '$notContainsi':
      return sql<SqlBool>`NOT (${substring(column, text(), 'contains', false, options.dialect)})`;
    case '$startsWith':
      return substring(column, text(), 'startsWith', true, options.dialect);
    case '$startsWithi':
      return substring(column, text(), 'startsWith', false, options.dialect);
    case '$endsWith':
      return substring(column, text(), 'endsWith', true, options.dialect);
    case '$endsWithi':
      return substring(column, text(), 'endsWith', false, options.dialect);
  }
}

/** Compiles a filter tree to one SQL boolean expression (every value a bound parameter). */
export function compileFilters(node: FilterNode, options: ListQueryOptions): RawBuilder<SqlBool> {
  switch (node.kind) {
    case 'and':
    case 'or': {
      if (node.children.length === 0) return node.kind === 'and' ? sql<SqlBool>`1 = 1` : sql<SqlBool>`1 = 0`;
      const parts = node.children.map((child) => sql`(${compileFilters(child, options)})`);
      return sql<SqlBool>`${sql.join(parts, node.kind === 'and' ? sql` AND ` : sql` OR `)}`;
    }
    case 'not':
      return sql<SqlBool>`NOT (${compileFilters(node.child, options)})`;
    case 'condition':
      return compileCondition(node, options);
  }
}

function orderBy(
  listQuery: ListQuery,
  options: ListQueryOptions,
  idColumn: string,
  reverse = false,
): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  let hasId = false;
  let last: 'asc' | 'desc' = 'asc';
  const flip = (order: 'asc' | 'desc') => (reverse ? (order === 'asc' ? 'desc' : 'asc') : order);
  for (const item of listQuery.sort) {
    const spec = specFor(options, item.field, item.param, 'sort');
    if (spec.column === idColumn) hasId = true;
    const order = flip(item.order);
    last = item.order;
    // SQLite sorts NULLs first ascending, PostgreSQL last: say which, so both dialects page the same way. Only for
    // nullable columns, so a sort on an indexed NOT NULL column can still walk its index.
    const nulls = spec.nullable ? (order === 'desc' ? sql` NULLS LAST` : sql` NULLS FIRST`) : sql``;
    parts.push(sql`${sql.ref(spec.column)} ${order === 'desc' ? sql`DESC` : sql`ASC`}${nulls}`);
  }
  // Rows that tie on the sort keys still come in one fixed order, so pages neither repeat nor skip rows. The id
  // follows the last key's direction, so one index on (key, id) serves the whole ORDER BY, forwards or backwards.
  if (!hasId) parts.push(sql`${sql.ref(idColumn)} ${flip(last) === 'desc' ? sql`DESC` : sql`ASC`}`);
  return sql`${sql.join(parts)}`;
}

function resolvePagination(listQuery: ListQuery, options: ListQueryOptions): ResolvedPagination {
  const maxPageSize = options.maxPageSize ?? 100;
  const defaultPageSize = Math.min(options.defaultPageSize ?? 25, maxPageSize);
  const p = listQuery.pagination;
  if (!listQuery.paginationGiven && options.paginate === false) return { kind: 'none', withCount: false };
  if (p.kind === 'offset') {
    const limit = p.limit === null ? defaultPageSize : p.limit === -1 ? maxPageSize : Math.min(p.limit, maxPageSize);
    return { kind: 'offset', start: p.start, limit, offset: p.start, withCount: p.withCount };
  }
  const pageSize = p.pageSize === null ? defaultPageSize : Math.min(p.pageSize, maxPageSize);
  const offset = (p.page - 1) * pageSize;
  if (!Number.isSafeInteger(offset)) throw new QueryError('pagination[page]', 'the page number is too large');
  return { kind: 'page', page: p.page, pageSize, offset, limit: pageSize, withCount: p.withCount };
}

function meta(pagination: ResolvedPagination, total: number | null): PaginationMeta {
  if (pagination.kind === 'none') return {};
  const counted = pagination.withCount && total !== null;
  if (pagination.kind === 'offset') {
    return counted
      ? { start: pagination.start, limit: pagination.limit, total }
      : { start: pagination.start, limit: pagination.limit };
  }
  return counted
    ? {
        page: pagination.page,
        pageSize: pagination.pageSize,
        pageCount: Math.ceil(total / pagination.pageSize),
        total,
      }
    : { page: pagination.page, pageSize: pagination.pageSize };
}

/**
 * Applies a parsed list query to `qb`, a `selectFrom(table)` with no selection yet: WHERE from the filters (every
 * field checked against `columns`), ORDER BY (always ending with the id), LIMIT/OFFSET, and the selection for
 * `fields`. Throws {@link QueryError} (400) naming an unknown field or a value that does not fit its column.
 */
export function applyListQuery<DB, TB extends keyof DB>(
  // biome-ignore lint/suspicious/noExplicitAny: any output shape; the selection is replaced here
  qb: SelectQueryBuilder<DB, TB, any>,
  listQuery: ListQuery,
  options: ListQueryOptions,
): AppliedListQuery<DB, TB> {
  const idColumn = options.idColumn ?? 'id';
  const where: Expression<SqlBool> | null = listQuery.filters ? compileFilters(listQuery.filters, options) : null;
  const filtered = where ? qb.where(where) : qb;
  const order = orderBy(listQuery, options, idColumn);
  const pagination = resolvePagination(listQuery, options);

  let selection: string[] | null = null;
  if (listQuery.fields) {
    // Checked even when whole rows are read: an unknown or hidden field is a 400, never silently ignored.
    const columns = new Set([idColumn, 'document_id', ...(options.requiredColumns ?? [])]);
    listQuery.fields.forEach((field, index) => {
      columns.add(specFor(options, field, `fields[${index}]`, 'select').column);
    });
    if (options.selectFields !== false) selection = [...columns];
  }
  const select = (builder: SelectQueryBuilder<DB, TB, unknown>) =>
    (selection
      ? builder.select(selection.map((column) => sql.ref(column).as(column)))
      : builder.selectAll()) as unknown as SelectQueryBuilder<DB, TB, Record<string, unknown>>;

  let query: SelectQueryBuilder<DB, TB, Record<string, unknown>>;
  const deferred = (options.deepPagination ?? 'deferred') === 'deferred';
  if (pagination.kind === 'none') {
    query = select(filtered).orderBy(order);
  } else if (pagination.offset > 0 && deferred) {
    // Skip rows over the index (ids only), then read just the page's rows.
    let skip = pagination.offset;
    let take = pagination.limit;
    let reverse = false;
    // A row inserted or deleted between the count and this query shifts the page by one, as it would with OFFSET.
    const total = options.total;
    if (typeof total === 'number' && total >= 0) {
      const end = Math.min(pagination.offset + pagination.limit, total);
      take = Math.max(0, end - pagination.offset);
      if (total - end < pagination.offset) {
        reverse = true;
        skip = total - end;
      }
    }
    const ids = filtered
      .select(sql.ref(idColumn).as(idColumn))
      .orderBy(reverse ? orderBy(listQuery, options, idColumn, true) : order)
      .limit(take)
      .offset(skip);
    query = select(qb.where(sql<SqlBool>`${sql.ref(idColumn)} IN (${ids})`)).orderBy(order);
  } else {
    query = select(filtered).orderBy(order).limit(pagination.limit).offset(pagination.offset);
  }

  const countQuery = pagination.withCount
    ? (filtered.select(sql<number>`count(*)`.as('count')) as unknown as SelectQueryBuilder<
        DB,
        TB,
        { count: number | string | bigint }
      >)
    : null;
  return { query, countQuery, pagination, meta: (total) => meta(pagination, total) };
}

/**
 * Runs a list query: the page of rows and Strapi's `meta.pagination` (with the total when counted). The count runs
 * first, so a page in the back half can be read from the end (see {@link ListQueryOptions.total}).
 */
export async function runListQuery<DB, TB extends keyof DB>(
  // biome-ignore lint/suspicious/noExplicitAny: any output shape; the selection is replaced here
  qb: SelectQueryBuilder<DB, TB, any>,
  listQuery: ListQuery,
  options: ListQueryOptions,
): Promise<{ rows: Record<string, unknown>[]; pagination: PaginationMeta; total: number | null }> {
  const counted = applyListQuery(qb, listQuery, options);
  const count = await counted.countQuery?.executeTakeFirst();
  const total = count ? Number(count.count) : null;
  const applied = total === null ? counted : applyListQuery(qb, listQuery, { ...options, total });
  const rows = await applied.query.execute();
  return { rows, pagination: applied.meta(total), total };
}
