import type { RunBucket } from '../../lib/stats/runs-series';

/** Outcomes stacked bottom-up, failures on top where the eye lands. */
export const SERIES = [
  { key: 'succeeded', label: 'Succeeded', color: '#10b981' },
  { key: 'cancelled', label: 'Cancelled', color: '#94a3b8' },
  { key: 'active', label: 'In progress', color: '#0ea5e9' },
  { key: 'failed', label: 'Failed', color: '#ef4444' },
] as const;

export type Point = RunBucket & { label: string };
