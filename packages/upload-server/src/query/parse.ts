/**
 * Parses Strapi v5 list parameters (`filters`, `sort`, `fields`, `pagination`) from an object as `qs` parses a
 * query string. Field names are checked later, against the entity's columns, by `applyListQuery`.
 */

/** A bad list parameter: a 400 whose message names the parameter and says what to change. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
  readonly status = 400 as const;
  /** The parameter at fault in bracket syntax, e.g. `filters[$or][0][name][$foo]`. */
  readonly param: string;
  constructor(param: string, message: string) {
    super(`${param}: ${message}`);
    this.param = param;
  }
}

export const FIELD_OPERATORS = [
  '$eq',
  '$eqi',
  '$ne',
  '$nei',
  '$in',
  '$notIn',
  '$lt',
  '$lte',
  '$gt',
  '$gte',
  '$contains',
  '$notContains',
  '$containsi',
  '$notContainsi',
  '$startsWith',
  '$startsWithi',
  '$endsWith',
  '$endsWithi',
  '$null',
  '$notNull',
  '$between',
] as const;

export type FieldOperator = (typeof FIELD_OPERATORS)[number];
export type Scalar = string | number | boolean | null;

export type FilterNode =
  | { kind: 'and'; children: FilterNode[] }
  | { kind: 'or'; children: FilterNode[] }
  | { kind: 'not'; child: FilterNode }
  | {
      kind: 'condition';
      field: string;
      operator: FieldOperator;
      /** A scalar, or a list for `$in`/`$notIn`/`$between`, or a boolean for `$null`/`$notNull`. */
      value: Scalar | Scalar[];
      /** Where it came from, for error messages: `filters[name][$eq]`. */
      param: string;
    };

export interface SortItem {
  field: string;
  order: 'asc' | 'desc';
  /** Where it came from, for error messages: `sort` or `sort[1]`. */
  param: string;
}

export type Pagination =
  | { kind: 'page'; page: number; pageSize: number | null; withCount: boolean }
  | { kind: 'offset'; start: number; limit: number | null; withCount: boolean };

export interface ListQuery {
  /** The filter tree, or null for none. */
  filters: FilterNode | null;
  sort: SortItem[];
  /** The fields asked for (besides `id` and `documentId`, always returned), or null for all. */
  fields: string[] | null;
  pagination: Pagination;
  /** Whether the request gave any pagination parameter (the flat list endpoint returns everything otherwise). */
  paginationGiven: boolean;
}

const OPERATORS = new Set<string>(FIELD_OPERATORS);
const LIST_OPERATORS = new Set<string>(['$in', '$notIn', '$between']);
const BOOLEAN_OPERATORS = new Set<string>(['$null', '$notNull']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A list from what `qs` makes of `x[0]=a&x[1]=b`: an array, or an object with numeric keys when the index is over
 * `qs`'s array limit (20) or the indexes are sparse. Null when `value` is neither.
 */
function asList(value: unknown): unknown[] | null {
  if (Array.isArray(value)) return value;
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
      return keys.sort((a, b) => Number(a) - Number(b)).map((key) => value[key]);
    }
  }
  return null;
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function parseBoolean(value: unknown, param: string): boolean {
  if (value === true || value === false) return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (['true', 't', '1'].includes(lower)) return true;
    if (['false', 'f', '0'].includes(lower)) return false;
  }
  throw new QueryError(param, `expected true or false, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'an object';
  return String(value);
}

function and(children: FilterNode[]): FilterNode {
  return children.length === 1 ? children[0]! : { kind: 'and', children };
}

/** Filters at the top level or inside `$and`/`$or`/`$not`: keys are fields or logical operators. */
function parseFilterObject(input: unknown, param: string): FilterNode {
  if (!isPlainObject(input)) throw new QueryError(param, `expected an object of filters, got ${describe(input)}`);
  const children: FilterNode[] = [];
  for (const [key, value] of Object.entries(input)) {
    const at = `${param}[${key}]`;
    if (key === '$and' || key === '$or') {
      const list = asList(value) ?? (isPlainObject(value) ? [value] : null);
      if (!list || list.length === 0) throw new QueryError(at, 'expected a list of filter objects');
      const parsed = list.map((item, index) => parseFilterObject(item, `${at}[${index}]`));
      children.push(key === '$and' ? { kind: 'and', children: parsed } : { kind: 'or', children: parsed });
    } else if (key === '$not') {
      children.push({ kind: 'not', child: parseFilterObject(value, at) });
    } else if (key.startsWith('$')) {
      throw new QueryError(at, `unknown logical operator "${key}"; use $and, $or or $not, or a field name`);
    } else {
      children.push(parseFieldFilter(key, value, at));
    }
  }
  if (children.length === 0) return { kind: 'and', children: [] };
  return and(children);
}

/** The filter on one field: a value (implicit `$eq`), a list (implicit `$in`) or an object of operators. */
function parseFieldFilter(field: string, value: unknown, param: string): FilterNode {
  if (isScalar(value)) return { kind: 'condition', field, operator: '$eq', value, param: `${param}[$eq]` };
  const list = Array.isArray(value) ? value : null;
  if (list) return condition(field, '$in', list, `${param}[$in]`);
  if (!isPlainObject(value)) throw new QueryError(param, `unexpected value ${describe(value)}`);
  const children: FilterNode[] = [];
  for (const [key, operand] of Object.entries(value)) {
    const at = `${param}[${key}]`;
    if (key === '$not') {
      children.push({ kind: 'not', child: parseFieldFilter(field, operand, at) });
    } else if (key === '$and' || key === '$or') {
      const items = asList(operand);
      if (!items || items.length === 0) throw new QueryError(at, 'expected a list of operator objects');
      const parsed = items.map((item, index) => parseFieldFilter(field, item, `${at}[${index}]`));
      children.push(key === '$and' ? { kind: 'and', children: parsed } : { kind: 'or', children: parsed });
    } else if (OPERATORS.has(key)) {
      children.push(condition(field, key as FieldOperator, operand, at));
    } else if (key.startsWith('$')) {
      throw new QueryError(at, `unknown operator "${key}"; known operators: ${FIELD_OPERATORS.join(', ')}`);
    } else {
      throw new QueryError(at, `"${field}" has no field "${key}" to filter on (relations cannot be filtered here)`);
    }
  }
  if (children.length === 0) throw new QueryError(param, 'expected an operator such as $eq');
  return and(children);
}

function condition(field: string, operator: FieldOperator, operand: unknown, param: string): FilterNode {
  if (BOOLEAN_OPERATORS.has(operator)) {
    return { kind: 'condition', field, operator, value: parseBoolean(operand, param), param };
  }
  if (LIST_OPERATORS.has(operator)) {
    const list = asList(operand) ?? (isScalar(operand) ? [operand] : null);
    if (!list?.every(isScalar)) {
      throw new QueryError(param, `expected a list of values, got ${describe(operand)}`);
    }
    if (operator === '$between' && list.length !== 2) {
      throw new QueryError(param, `expected two values (low and high), got ${list.length}`);
    }
    if (list.length === 0) throw new QueryError(param, 'expected at least one value');
    return { kind: 'condition', field, operator, value: list as Scalar[], param };
  }
  // `$eq: [a, b]` means "one of", as in Strapi.
  if (operator === '$eq' && asList(operand)) return condition(field, '$in', operand, param);
  if (operator === '$ne' && asList(operand)) return condition(field, '$notIn', operand, param);
  if (!isScalar(operand)) throw new QueryError(param, `expected a single value, got ${describe(operand)}`);
  return { kind: 'condition', field, operator, value: operand, param };
}

function parseSort(input: unknown): SortItem[] {
  if (input === undefined || input === '') return [];
  const items: SortItem[] = [];
  const add = (value: unknown, param: string) => {
    if (typeof value === 'string') {
      for (const part of value.split(',')) {
        const trimmed = part.trim();
        if (trimmed === '') continue;
        const [field, order = 'asc', ...extra] = trimmed.split(':');
        const direction = order.toLowerCase();
        if (!field || extra.length > 0 || (direction !== 'asc' && direction !== 'desc')) {
          throw new QueryError(param, `expected "field", "field:asc" or "field:desc", got ${describe(trimmed)}`);
        }
        items.push({ field, order: direction, param });
      }
    } else if (isPlainObject(value) && !asList(value)) {
      for (const [field, order] of Object.entries(value)) {
        const direction = typeof order === 'string' ? order.toLowerCase() : '';
        if (direction !== 'asc' && direction !== 'desc') {
          throw new QueryError(`${param}[${field}]`, `expected "asc" or "desc", got ${describe(order)}`);
        }
        items.push({ field, order: direction, param: `${param}[${field}]` });
      }
    } else {
      throw new QueryError(param, `expected a field name or a list of them, got ${describe(value)}`);
    }
  };
  const list = asList(input);
  if (list) {
    list.forEach((value, index) => {
      add(value, `sort[${index}]`);
    });
  } else {
    add(input, 'sort');
  }
  return items;
}

function parseFields(input: unknown): string[] | null {
  if (input === undefined || input === '') return null;
  const list = asList(input) ?? [input];
  const fields: string[] = [];
  list.forEach((value, index) => {
    if (typeof value !== 'string') {
      throw new QueryError(`fields[${index}]`, `expected a field name, got ${describe(value)}`);
    }
    for (const part of value.split(',')) if (part.trim() !== '') fields.push(part.trim());
  });
  // `fields=*` asks for every field, as in Strapi.
  return fields.includes('*') ? null : fields;
}

function parseInteger(value: unknown, param: string, min: number): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^-?\d+$/.test(text.trim())) {
    throw new QueryError(param, `expected a whole number, got ${describe(value)}`);
  }
  const number = Number(text);
  if (!Number.isSafeInteger(number)) throw new QueryError(param, 'the number is too large');
  if (number < min) throw new QueryError(param, `must be at least ${min}, got ${number}`);
  return number;
}

function parsePagination(input: unknown): { pagination: Pagination; given: boolean } {
  if (input === undefined)
    return { pagination: { kind: 'page', page: 1, pageSize: null, withCount: true }, given: false };
  if (!isPlainObject(input))
    throw new QueryError(
      'pagination',
      `expected pagination[page] and pagination[pageSize], or pagination[start] and pagination[limit]`,
    );
  for (const key of Object.keys(input)) {
    if (!['page', 'pageSize', 'start', 'limit', 'withCount'].includes(key)) {
      throw new QueryError(
        `pagination[${key}]`,
        'unknown parameter; use page and pageSize, or start and limit, and withCount',
      );
    }
  }
  const withCount = input.withCount === undefined ? true : parseBoolean(input.withCount, 'pagination[withCount]');
  const byPage = input.page !== undefined || input.pageSize !== undefined;
  const byOffset = input.start !== undefined || input.limit !== undefined;
  if (byPage && byOffset) {
    throw new QueryError(
      'pagination',
      'page-based (page, pageSize) and offset-based (start, limit) pagination cannot be mixed; use one of them',
    );
  }
  if (byOffset) {
    const start = input.start === undefined ? 0 : parseInteger(input.start, 'pagination[start]', 0);
    let limit: number | null = null;
    if (input.limit !== undefined) {
      // -1 asks for everything (capped at the maximum page size), as in Strapi.
      limit = String(input.limit).trim() === '-1' ? -1 : parseInteger(input.limit, 'pagination[limit]', 1);
    }
    return { pagination: { kind: 'offset', start, limit, withCount }, given: true };
  }
  const page = input.page === undefined ? 1 : parseInteger(input.page, 'pagination[page]', 1);
  const pageSize = input.pageSize === undefined ? null : parseInteger(input.pageSize, 'pagination[pageSize]', 1);
  return { pagination: { kind: 'page', page, pageSize, withCount }, given: byPage || input.withCount !== undefined };
}

/**
 * Reads `filters`, `sort`, `fields` and `pagination` from a query object as `qs` parses it (other parameters, like
 * `populate`, are left to the caller). Throws {@link QueryError} for anything malformed, naming the parameter.
 */
export function parseListQuery(query: unknown): ListQuery {
  const input = isPlainObject(query) ? query : {};
  const filters =
    input.filters === undefined || input.filters === '' ? null : parseFilterObject(input.filters, 'filters');
  const { pagination, given } = parsePagination(input.pagination);
  return {
    filters: filters && filters.kind === 'and' && filters.children.length === 0 ? null : filters,
    sort: parseSort(input.sort),
    fields: parseFields(input.fields),
    pagination,
    paginationGiven: given,
  };
}
