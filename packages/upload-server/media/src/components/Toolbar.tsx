import { useEffect, useState } from 'preact/hooks';
import type { ListQuery, SortOrder, TypeFamily } from '../api';
import type { View } from './App';

const TYPES: Array<[TypeFamily, string]> = [
  ['all', 'All types'],
  ['image', 'Images'],
  ['video', 'Videos'],
  ['audio', 'Audio'],
  ['document', 'Documents (PDF, text)'],
  ['other', 'Other'],
];

const SORTS: Array<[SortOrder, string]> = [
  ['createdAt:desc', 'Newest first'],
  ['createdAt:asc', 'Oldest first'],
  ['name:asc', 'Name A–Z'],
  ['name:desc', 'Name Z–A'],
  ['size:desc', 'Largest first'],
  ['size:asc', 'Smallest first'],
];

/** Search waits for a pause in typing, so each keystroke is not a request. */
const SEARCH_DELAY_MS = 250;

export function Toolbar(props: {
  query: ListQuery;
  view: View;
  onChange(next: Partial<ListQuery>): void;
  onView(view: View): void;
}) {
  const [search, setSearch] = useState(props.query.search);
  const { onChange } = props;
  useEffect(() => {
    if (search === props.query.search) return;
    const timer = setTimeout(() => onChange({ search }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search, props.query.search, onChange]);

  return (
    <search class="toolbar" aria-label="Find files">
      <div class="field grow">
        <label for="search">Search by name</label>
        <input
          id="search"
          type="search"
          value={search}
          placeholder="Search…"
          onInput={(event) => setSearch(event.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="type">Type</label>
        <select
          id="type"
          value={props.query.type}
          onChange={(event) => props.onChange({ type: event.currentTarget.value as TypeFamily })}
        >
          {TYPES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="sort">Sort</label>
        <select
          id="sort"
          value={props.query.sort}
          onChange={(event) => props.onChange({ sort: event.currentTarget.value as SortOrder })}
        >
          {SORTS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <fieldset class="views">
        <legend>View</legend>
        {(['grid', 'list'] as const).map((view) => (
          <label key={view} class={props.view === view ? 'chosen' : ''}>
            <input
              type="radio"
              name="view"
              value={view}
              checked={props.view === view}
              onChange={() => props.onView(view)}
            />
            {view === 'grid' ? 'Grid' : 'List'}
          </label>
        ))}
      </fieldset>
    </search>
  );
}
