import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../../api/client';

export function useWorkflow(id: string) {
  return useQuery({
    queryKey: ['workflows', id],
    queryFn: () => call(api.GET('/api/v1/workflows/{id}', { params: { path: { id } } })),
  });
}

export function useVersions(id: string) {
  return useQuery({
    queryKey: ['workflows', id, 'versions'],
    queryFn: () => call(api.GET('/api/v1/workflows/{id}/versions', { params: { path: { id } } })),
  });
}

/** One version's definition. Versions are immutable, so once read it never needs reading again. */
export function useVersion(id: string, version: number | undefined) {
  return useQuery({
    queryKey: ['workflows', id, 'version', version],
    queryFn: () =>
      call(api.GET('/api/v1/workflows/{id}/versions/{version}', { params: { path: { id, version: version ?? 1 } } })),
    enabled: version !== undefined,
    staleTime: Infinity,
  });
}

/** Member names by user id, to show who saved a version; an error only means ids are shown. */
export function useMemberNames() {
  return useQuery({
    queryKey: ['workflows', 'members'],
    queryFn: () => call(api.GET('/api/v1/members')),
    staleTime: 60_000,
    select: (r) => new Map(r.data.map((m) => [m.userId, m.name || m.email])),
  });
}
