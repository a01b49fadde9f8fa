import type { FastifyInstance } from 'fastify';

/**
 * The example workflow of the issue and docs/workflows.md: double → big → reply. Tests and the
 * engine benchmark use it; the default trigger is a webhook that waits and answers `reply`.
 */
export const exampleDefinition = (
  trigger: unknown = { type: 'webhook', config: { respond: 'wait', responseStep: 'reply' } },
) => ({
  trigger,
  steps: [
    { id: 'double', type: 'transform', config: { expression: '{"n": trigger.body.n * 2}' } },
    { id: 'big', type: 'condition', config: { expression: 'steps.double.output.n > 10' } },
    {
      id: 'reply',
      type: 'transform',
      config: { expression: '{"n": steps.double.output.n, "big": steps.big.output.result}' },
    },
  ],
  edges: [
    { from: 'double', to: 'big' },
    { from: 'big', to: 'reply' },
  ],
});

/** The calls workflow suites make over `inject()`: JSON in, JSON, status and headers out. */
export function workflowClient(t: { app: { inject: FastifyInstance['inject'] }; logs: { lines: string[] } }) {
  const api = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await t.app.inject({
      method,
      url,
      headers,
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return {
      status: res.statusCode,
      body: (res.body ? res.json() : {}) as Record<string, unknown>,
      headers: res.headers,
      raw: res.body,
    };
  };
  const create = async (definition: unknown, extra: Record<string, unknown> = {}) => {
    const res = await api('POST', '/api/v1/workflows', { name: 'wf', definition, ...extra });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${res.raw}`);
    return res.body as { id: string; webhookUrlPath: string | null; version: number };
  };
  const startRun = async (workflowId: string, input: unknown, headers: Record<string, string> = {}) => {
    const res = await api('POST', `/api/v1/workflows/${workflowId}/runs`, { input }, headers);
    if (res.status !== 202) throw new Error(`start: ${res.status} ${res.raw}`);
    return res.body as { runId: string; created: boolean };
  };
  /** Polls the run until it reaches one of `statuses`. */
  const waitForRun = async (runId: string, statuses = ['succeeded', 'failed', 'cancelled'], timeoutMs = 15_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const res = await api('GET', `/api/v1/runs/${runId}`);
      if (statuses.includes(res.body.status as string)) {
        return res.body as Record<string, unknown> & { attempts: Record<string, unknown>[] };
      }
      if (Date.now() > end) {
        const warnings = t.logs.lines.filter((l) => /"level":(40|50)/.test(l)).slice(-5);
        throw new Error(`run ${runId} still ${String(res.body.status)}: ${res.raw}\n${warnings.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { api, create, startRun, waitForRun };
}
