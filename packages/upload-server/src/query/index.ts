export {
  type AppliedListQuery,
  applyListQuery,
  type ColumnSpec,
  type ColumnType,
  compileFilters,
  escapeGlob,
  escapeLike,
  type ListQueryOptions,
  type PaginationMeta,
  type ResolvedPagination,
  runListQuery,
} from './apply.js';
export { FILE_QUERY_COLUMNS } from './files.js';
export {
  FIELD_OPERATORS,
  type FieldOperator,
  type FilterNode,
  type ListQuery,
  type Pagination,
  parseListQuery,
  QueryError,
  type Scalar,
  type SortItem,
} from './parse.js';
