// Server state of the home page. Keys start with 'home' so the page's polling never collides
// with another page's cache of the same endpoints.
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';

export type SeriesRange = '24h' | '7d' | '14d' | '30d';

export function useStats() {
  return useQuery({
    queryKey: ['home', 'stats'],
    queryFn: () => call(api.GET('/api/v1/stats')),
    refetchInterval: 30_000,
  });
}

export function useRunsSeries(range: SeriesRange) {
  return useQuery({
    queryKey: ['home', 'runs-series', range],
    queryFn: () => call(api.GET('/api/v1/stats/runs-timeseries', { params: { query: { range } } })),
    refetchInterval: 60_000,
    placeholderData: (prev) => prev,
  });
}

/** The first page of workflows: whether any exist, and names for the recent failures. */
export function useWorkflowNames() {
  return useQuery({
    queryKey: ['home', 'workflows'],
    queryFn: () => call(api.GET('/api/v1/workflows', { params: { query: { limit: 100 } } })),
  });
}

export function useRecentFailures() {
  return useQuery({
    queryKey: ['home', 'recent-failures'],
    queryFn: () => call(api.GET('/api/v1/runs', { params: { query: { status: ['failed'], limit: 5 } } })),
    refetchInterval: 30_000,
  });
}

/** Members, for the "invite a teammate" step; a role that may not list them simply skips it. */
export function useMemberCount(enabled: boolean) {
  return useQuery({
    queryKey: ['home', 'members'],
    queryFn: async () => (await call(api.GET('/api/v1/members'))).data.length,
    enabled,
    retry: false,
  });
}
