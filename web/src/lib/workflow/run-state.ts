/** A step attempt as GET /api/v1/runs/:id lists it (the fields the canvas shows). */
export interface AttemptLike {
  stepId: string;
  attempt: number;
  status: string;
  output: unknown;
  error: unknown;
  branch: string | null;
}

/** The latest attempt of each step (the highest attempt number; later rows win ties, e.g. compensations). */
export function latestAttempts(attempts: readonly AttemptLike[]): Map<string, AttemptLike> {
  const out = new Map<string, AttemptLike>();
  for (const a of attempts) {
    const prev = out.get(a.stepId);
    if (!prev || a.attempt >= prev.attempt) out.set(a.stepId, a);
  }
  return out;
}

export const TERMINAL_RUN_STATUSES = new Set(['succeeded', 'failed', 'cancelled']);
