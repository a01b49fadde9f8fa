// The Items list's state lives in the URL query string (shareable, survives a reload, Back works):
// these read and write it, and turn it into the API's query.

export const ITEM_STATUSES = ['active', 'draft', 'archived'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** The API's sort options; `relevance` only with a search. */
export const ITEM_SORTS = [
  { value: '-createdAt', label: 'Newest first' },
  { value: 'createdAt', label: 'Oldest first' },
  { value: '-updatedAt', label: 'Recently updated' },
  { value: 'name', label: 'Name A–Z' },
  { value: '-name', label: 'Name Z–A' },
  { value: 'relevance', label: 'Best match' },
] as const;
export type ItemSort = (typeof ITEM_SORTS)[number]['value'];

export interface ItemsListState {
  q: string;
  status: ItemStatus[];
  tags: string[];
  /** Empty: the API's default (relevance with a search, else newest first). */
  sort: ItemSort | '';
  cursor: string;
}

const SORT_VALUES = new Set<string>(ITEM_SORTS.map((s) => s.value));
const STATUS_VALUES = new Set<string>(ITEM_STATUSES);

/** Reads the state from the URL, dropping what the API would refuse (a hand-edited link). */
export function readListState(params: URLSearchParams): ItemsListState {
  const q = (params.get('q') ?? '').slice(0, 200);
  const sort = params.get('sort') ?? '';
  return {
    q,
    status: [...new Set(params.getAll('status').filter((s): s is ItemStatus => STATUS_VALUES.has(s)))],
    tags: [...new Set(params.getAll('tag').map(normalizeTag).filter(Boolean))].slice(0, 20),
    sort: SORT_VALUES.has(sort) && (sort !== 'relevance' || q.trim()) ? (sort as ItemSort) : '',
    cursor: params.get('cursor') ?? '',
  };
}

/** The URL for a state; a changed filter or sort starts again at the first page. */
export function writeListState(state: ItemsListState): URLSearchParams {
  const p = new URLSearchParams();
  if (state.q.trim()) p.set('q', state.q);
  for (const s of state.status) p.append('status', s);
  for (const t of state.tags) p.append('tag', t);
  if (state.sort) p.set('sort', state.sort);
  if (state.cursor) p.set('cursor', state.cursor);
  return p;
}

/** A new state from a change of filters: the cursor belongs to the old query, so it goes. */
export function changeFilters(state: ItemsListState, change: Partial<Omit<ItemsListState, 'cursor'>>): ItemsListState {
  const next = { ...state, ...change, cursor: '' };
  // "Best match" means nothing without a search (the API answers ITEMS_SORT_NEEDS_QUERY).
  if (next.sort === 'relevance' && !next.q.trim()) next.sort = '';
  return next;
}

export interface ItemsApiQuery {
  limit: number;
  q?: string;
  status?: ItemStatus[];
  tag?: string[];
  sort?: ItemSort;
  cursor?: string;
}

/** The GET /items query for a state: empty parts left out. */
export function toApiQuery(state: ItemsListState, limit = 25): ItemsApiQuery {
  const q: ItemsApiQuery = { limit };
  if (state.q.trim()) q.q = state.q.trim();
  if (state.status.length) q.status = state.status;
  if (state.tags.length) q.tag = state.tags;
  if (state.sort) q.sort = state.sort;
  if (state.cursor) q.cursor = state.cursor;
  return q;
}

/** Tags are stored lower-case and may not hold commas (the API's rule), so the UI applies it too. */
export function normalizeTag(tag: string): string {
  return tag.trim().toLowerCase().replace(/,/g, '').slice(0, 50);
}

/** Whether any filter narrows the list (an empty list then means "no match", not "no items"). */
export function isFiltered(state: ItemsListState): boolean {
  return Boolean(state.q.trim() || state.status.length || state.tags.length);
}
