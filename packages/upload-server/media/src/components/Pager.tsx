import type { Pagination } from '../api';

export function Pager(props: { pagination: Pagination; onPage(page: number): void }) {
  const { page, pageCount, total } = props.pagination;
  const last = Math.max(1, pageCount);
  if (total === 0) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={() => props.onPage(page - 1)}>
        Previous<span class="visually-hidden"> page</span>
      </button>
      <span>
        Page {page} of {last} · {total} file{total === 1 ? '' : 's'}
      </span>
      <button type="button" disabled={page >= last} onClick={() => props.onPage(page + 1)}>
        Next<span class="visually-hidden"> page</span>
      </button>
    </nav>
  );
}
