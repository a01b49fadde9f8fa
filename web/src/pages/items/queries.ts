// Server state of the Items pages: one place for the query keys and calls, so a save or delete
// invalidates every list and the detail alike.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call, type Schemas } from '../../api/client';
import type { ItemsApiQuery } from '../../lib/items/list-query';

export type Item = Schemas['Item'];

export const itemKeys = {
  all: ['items'] as const,
  list: (q: ItemsApiQuery) => ['items', 'list', q] as const,
  detail: (id: string) => ['items', 'detail', id] as const,
};

export function useItemsList(query: ItemsApiQuery) {
  return useQuery({
    queryKey: itemKeys.list(query),
    queryFn: ({ signal }) => call(api.GET('/api/v1/items', { params: { query }, signal })),
    // Typing a search keeps the previous rows on screen instead of flashing a spinner.
    placeholderData: keepPreviousData,
  });
}

export const fetchItem = (id: string) => call(api.GET('/api/v1/items/{id}', { params: { path: { id } } }));

export function useItem(id: string | undefined) {
  return useQuery({
    queryKey: itemKeys.detail(id ?? ''),
    queryFn: () => fetchItem(id ?? ''),
    enabled: Boolean(id),
  });
}

const ifMatch = (version: number) => ({ 'if-match': `"${version}"` });

export function useItemMutations() {
  const qc = useQueryClient();
  const settle = (item?: Item) => {
    if (item) qc.setQueryData(itemKeys.detail(item.id), item);
    return qc.invalidateQueries({ queryKey: ['items', 'list'] });
  };
  const create = useMutation({
    mutationFn: (body: Schemas['CreateItemInput']) => call(api.POST('/api/v1/items', { body })),
    onSuccess: (item) => settle(item),
  });
  const update = useMutation({
    /** `version` is the one the form was read at: a newer one on the server answers 412. */
    mutationFn: ({ id, version, body }: { id: string; version: number; body: Schemas['UpdateItemInput'] }) =>
      call(api.PATCH('/api/v1/items/{id}', { params: { path: { id }, header: ifMatch(version) }, body })),
    onSuccess: (item) => settle(item),
  });
  const remove = useMutation({
    mutationFn: ({ id, version }: { id: string; version: number }) =>
      call(api.DELETE('/api/v1/items/{id}', { params: { path: { id }, header: ifMatch(version) } })),
    onSuccess: (_data, { id }) => {
      qc.removeQueries({ queryKey: itemKeys.detail(id) });
      return settle();
    },
  });
  return { create, update, remove };
}
