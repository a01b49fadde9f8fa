// The Health page reads the public probes and /metrics with plain fetch: readiness answers 503
// with a useful body when something is down, which the typed client would turn into an error.
import { useQuery } from '@tanstack/react-query';
import { useRef } from 'react';
import { parsePrometheus, type Scrape } from '../../lib/stats/prometheus';

export const REFRESH_MS = 10_000;

export interface Readiness {
  status: 'ok' | 'unavailable';
  components: Record<string, { status: 'up' | 'down'; latencyMs: number; error?: string }>;
}

async function getJson<T>(url: string, init?: RequestInit): Promise<{ httpStatus: number; body: T }> {
  const res = await fetch(url, { ...init, headers: { accept: 'application/json', ...init?.headers } });
  return { httpStatus: res.status, body: (await res.json()) as T };
}

export function useReadiness() {
  return useQuery({
    queryKey: ['health', 'ready'],
    queryFn: async () => {
      const { httpStatus, body } = await getJson<Readiness>('/health/ready');
      if (!body || typeof body.components !== 'object') throw new Error(`Readiness answered ${httpStatus}.`);
      return { ...body, httpStatus };
    },
    refetchInterval: REFRESH_MS,
    retry: false,
  });
}

export function useLiveness() {
  return useQuery({
    queryKey: ['health', 'live'],
    queryFn: async () => {
      const started = performance.now();
      const { httpStatus, body } = await getJson<{ status: string }>('/health/live');
      return { ok: httpStatus === 200 && body.status === 'ok', ms: Math.round(performance.now() - started) };
    },
    refetchInterval: REFRESH_MS,
    retry: false,
  });
}

/** The server's name and version, from the JSON index at `/`. */
export function useServerInfo() {
  return useQuery({
    queryKey: ['health', 'info'],
    queryFn: async () => (await getJson<{ name?: string; version?: string }>('/')).body,
    staleTime: 5 * 60_000,
  });
}

export interface MetricsSnapshot {
  scrape: Scrape;
  at: number;
  previous?: { scrape: Scrape; at: number };
}

/** Each scrape remembers the one before it, so counters can be shown as rates. */
export function useMetrics() {
  const last = useRef<{ scrape: Scrape; at: number } | undefined>(undefined);
  return useQuery({
    queryKey: ['health', 'metrics'],
    queryFn: async (): Promise<MetricsSnapshot> => {
      const res = await fetch('/metrics', { headers: { accept: 'text/plain' } });
      if (!res.ok) throw new Error(`/metrics answered ${res.status}.`);
      const snapshot = { scrape: parsePrometheus(await res.text()), at: Date.now() };
      const previous = last.current;
      last.current = snapshot;
      return previous ? { ...snapshot, previous } : snapshot;
    },
    refetchInterval: REFRESH_MS,
    retry: false,
  });
}
