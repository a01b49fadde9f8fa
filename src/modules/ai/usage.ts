import { trace } from '@opentelemetry/api';
import { and, eq, gte, sql } from 'drizzle-orm';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { isAppError } from '../../platform/errors.ts';
import { getSettingValue } from '../settings/index.ts';
import type { AiRuntime } from './ai.runtime.ts';
import { resolveAi } from './ai.runtime.ts';
import type { Ai } from './ai.service.ts';
import { aiUsage } from './ai.table.ts';
import { aiError } from './errors.ts';
import { costMicroUsd, priceOf } from './pricing.ts';
import type { AiAnswerer, AiUsage, ProviderKind } from './provider.ts';

/**
 * Usage and monthly budgets. Every model call (offline ones too, at zero cost) adds to one row per
 * tenant, UTC day, provider id and model. A budget is checked before a call against the month's
 * rows; calls already running when it is crossed finish, so a month can overshoot a limit by the
 * calls in flight (a soft limit, like the item quota).
 */

/** `YYYY-MM-DD` of the UTC day. */
const utcDay = (d: Date) => d.toISOString().slice(0, 10);
const monthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
const nextMonthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));

/** `instance:openai` → `openai`; `offline` → `offline`. */
const kindOf = (providerId: string, fallback: ProviderKind): ProviderKind => {
  const k = providerId.includes(':') ? providerId.slice(providerId.indexOf(':') + 1) : providerId;
  return (['openai', 'anthropic', 'ollama', 'openai-compatible', 'offline'] as const).find((x) => x === k) ?? fallback;
};

/**
 * Records what one request's calls used: one upsert per provider and model, and the counters.
 * Several results of one request (offline keywords and entities, a model's summary) are grouped.
 */
export async function recordUsage(
  deps: AiRuntime,
  tenantId: string,
  result: AiAnswerer | readonly AiAnswerer[],
): Promise<void> {
  const results = Array.isArray(result) ? (result as readonly AiAnswerer[]) : [result as AiAnswerer];
  for (const r of results) deps.metrics?.call({ kind: r.kind, model: r.model, outcome: 'ok' }, r.usage);
  annotateSpan(results);
  await upsertUsage(
    deps,
    tenantId,
    results.map((r) => ({ ...r, calls: 1 })),
  );
}

/**
 * Records a failed call: counts its outcome (the error code) and stores any usage the error
 * carries (`AI_EXTRACTION_FAILED` sums its attempts in `extra.usage`). A call that failed before
 * any answer counts as a call with no tokens.
 */
export async function recordFailure(
  deps: AiRuntime,
  tenantId: string,
  answerer: Pick<AiAnswerer, 'provider' | 'kind' | 'model'>,
  error: unknown,
): Promise<void> {
  const code = isAppError(error) && /^[A-Z][A-Z0-9_]{0,63}$/.test(error.code) ? error.code : 'ERROR';
  const raw = isAppError(error) ? (error.extra?.usage as Partial<AiUsage> | undefined) : undefined;
  const usage: AiUsage = {
    inputTokens: Number.isFinite(raw?.inputTokens) ? Number(raw?.inputTokens) : 0,
    outputTokens: Number.isFinite(raw?.outputTokens) ? Number(raw?.outputTokens) : 0,
  };
  deps.metrics?.call({ kind: answerer.kind, model: answerer.model, outcome: code }, usage);
  annotateSpan([{ ...answerer, usage }], code);
  // Refused before reaching a model (budget, offline refusal, bad input): nothing to store.
  if (code === 'AI_BUDGET_EXCEEDED' || code === 'AI_PROVIDER_REQUIRED' || answerer.kind === 'offline') return;
  await upsertUsage(deps, tenantId, [{ ...answerer, usage, calls: 1 }]);
}

/**
 * With tracing on, the span the call ran in (a step attempt, an API request) says which model
 * answered and how many tokens it took (OpenTelemetry's GenAI attributes) — never the prompt or
 * the answer, which are tenant data. The provider's HTTP call is its own client span beneath.
 */
function annotateSpan(results: readonly Pick<AiAnswerer, 'kind' | 'model' | 'usage'>[], errorCode?: string): void {
  const span = trace.getActiveSpan();
  const last = results.at(-1);
  if (!span || !last) return;
  span.setAttributes({
    'gen_ai.system': last.kind,
    'gen_ai.request.model': last.model,
    'gen_ai.usage.input_tokens': results.reduce((n, r) => n + (r.usage?.inputTokens ?? 0), 0),
    'gen_ai.usage.output_tokens': results.reduce((n, r) => n + (r.usage?.outputTokens ?? 0), 0),
    ...(errorCode ? { 'error.type': errorCode } : {}),
  });
}

async function upsertUsage(
  deps: AiRuntime,
  tenantId: string,
  entries: readonly (Pick<AiAnswerer, 'provider' | 'kind' | 'model' | 'usage'> & { calls: number })[],
): Promise<void> {
  const rows = new Map<string, { provider: string; model: string; calls: number; usage: AiUsage; cost: number }>();
  for (const e of entries) {
    const key = `${e.provider}\u0000${e.model}`;
    const row = rows.get(key) ?? { provider: e.provider, model: e.model, calls: 0, usage: zero(), cost: 0 };
    row.calls += e.calls;
    row.usage.inputTokens += e.usage.inputTokens;
    row.usage.outputTokens += e.usage.outputTokens;
    row.cost += costMicroUsd(priceOf(kindOf(e.provider, e.kind), e.model), e.usage);
    rows.set(key, row);
  }
  if (rows.size === 0) return;
  const day = utcDay(deps.now());
  await inTenant(deps.db, tenantId, async (tx) => {
    for (const r of rows.values()) {
      await tx
        .insert(aiUsage)
        .values({
          tenantId,
          day,
          provider: r.provider.slice(0, 100),
          model: r.model.slice(0, 200),
          calls: r.calls,
          inputTokens: r.usage.inputTokens,
          outputTokens: r.usage.outputTokens,
          costMicrousd: r.cost,
        })
        .onConflictDoUpdate({
          target: [aiUsage.tenantId, aiUsage.day, aiUsage.provider, aiUsage.model],
          set: {
            calls: sql`${aiUsage.calls} + ${r.calls}`,
            inputTokens: sql`${aiUsage.inputTokens} + ${r.usage.inputTokens}`,
            outputTokens: sql`${aiUsage.outputTokens} + ${r.usage.outputTokens}`,
            costMicrousd: sql`${aiUsage.costMicrousd} + ${r.cost}`,
            updatedAt: sql`now()`,
          },
        });
    }
  });
}

/** Who would answer: the provider's id, kind and default model, for a call that failed. */
export const answererOf = (ai: Ai): Pick<AiAnswerer, 'provider' | 'kind' | 'model'> => ({
  provider: ai.provider.id,
  kind: ai.provider.kind,
  model: ai.provider.model,
});

const zero = (): AiUsage => ({ inputTokens: 0, outputTokens: 0 });

export interface MonthUsage {
  /** `YYYY-MM` (UTC). */
  month: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  byModel: {
    provider: string;
    model: string;
    calls: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
    /** False when the model is not in the price table: its cost is counted as 0. */
    priced: boolean;
  }[];
  limits: { monthlyTokenLimit: number | null; monthlyCostLimitUsd: number | null };
}

/** This month's usage of one tenant (UTC), by provider and model, with the limits that apply. */
export async function usageThisMonth(deps: Pick<AiRuntime, 'db' | 'now'>, tenantId: string): Promise<MonthUsage> {
  const now = deps.now();
  const { rows, limits } = await inTenant(deps.db, tenantId, async (tx) => ({
    rows: await tx
      .select({
        provider: aiUsage.provider,
        model: aiUsage.model,
        calls: sql<string>`sum(${aiUsage.calls})`,
        inputTokens: sql<string>`sum(${aiUsage.inputTokens})`,
        outputTokens: sql<string>`sum(${aiUsage.outputTokens})`,
        cost: sql<string>`sum(${aiUsage.costMicrousd})`,
      })
      .from(aiUsage)
      .where(and(eq(aiUsage.tenantId, tenantId), gte(aiUsage.day, utcDay(monthStart(now)))))
      .groupBy(aiUsage.provider, aiUsage.model)
      .orderBy(aiUsage.provider, aiUsage.model),
    limits: {
      monthlyTokenLimit: await getSettingValue(tx, tenantId, 'ai.monthlyTokenLimit'),
      monthlyCostLimitUsd: await getSettingValue(tx, tenantId, 'ai.monthlyCostLimitUsd'),
    },
  }));
  const byModel = rows.map((r) => ({
    provider: r.provider,
    model: r.model,
    calls: Number(r.calls),
    inputTokens: Number(r.inputTokens),
    outputTokens: Number(r.outputTokens),
    costUsd: Number(r.cost) / 1e6,
    priced: priceOf(kindOf(r.provider, 'openai-compatible'), r.model).priced,
  }));
  const sum = (f: (m: (typeof byModel)[number]) => number) => byModel.reduce((s, m) => s + f(m), 0);
  return {
    month: utcDay(now).slice(0, 7),
    calls: sum((m) => m.calls),
    inputTokens: sum((m) => m.inputTokens),
    outputTokens: sum((m) => m.outputTokens),
    costUsd: Math.round(sum((m) => m.costUsd) * 1e6) / 1e6,
    byModel,
    limits,
  };
}

/**
 * Refuses a call with `AI_BUDGET_EXCEEDED` when this month's tokens (input + output) or cost has
 * reached a limit the tenant set. Two small reads when limits are set, one when none is.
 */
export async function checkBudget(deps: AiRuntime, tenantId: string): Promise<void> {
  const now = deps.now();
  const verdict = await inTenant(deps.db, tenantId, async (tx) => {
    const tokenLimit = await getSettingValue(tx, tenantId, 'ai.monthlyTokenLimit');
    const costLimit = await getSettingValue(tx, tenantId, 'ai.monthlyCostLimitUsd');
    if (tokenLimit === null && costLimit === null) return undefined;
    const [used] = await tx
      .select({
        tokens: sql<string>`coalesce(sum(${aiUsage.inputTokens} + ${aiUsage.outputTokens}), 0)`,
        cost: sql<string>`coalesce(sum(${aiUsage.costMicrousd}), 0)`,
      })
      .from(aiUsage)
      .where(and(eq(aiUsage.tenantId, tenantId), gte(aiUsage.day, utcDay(monthStart(now)))));
    const tokens = Number(used?.tokens ?? 0);
    const costUsd = Number(used?.cost ?? 0) / 1e6;
    if (tokenLimit !== null && tokens >= tokenLimit) return { limit: 'tokens', used: tokens, max: tokenLimit };
    if (costLimit !== null && costUsd >= costLimit) return { limit: 'cost', used: costUsd, max: costLimit };
    return undefined;
  });
  if (!verdict) return;
  const resetsAt = nextMonthStart(now);
  throw aiError(
    'BUDGET_EXCEEDED',
    verdict.limit === 'tokens'
      ? `This month's AI usage (${verdict.used} tokens) has reached the limit of ${verdict.max} tokens set in ai.monthlyTokenLimit.`
      : `This month's AI cost (US$${verdict.used.toFixed(2)}) has reached the limit of US$${verdict.max} set in ai.monthlyCostLimitUsd.`,
    {
      extra: {
        limit: verdict.limit,
        used: verdict.used,
        max: verdict.max,
        resetsAt: resetsAt.toISOString(),
        retryAfterSeconds: Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000)),
      },
    },
  );
}

/**
 * One metered use of the tenant's AI: budget first, then `fn`, then what it used (or how it
 * failed). `fn` returns the result(s) to record; for a stream, record its `result` yourself.
 */
export async function meteredCall<T extends AiAnswerer | readonly AiAnswerer[]>(
  deps: AiRuntime,
  tenantId: string,
  fn: (ai: Ai) => Promise<T>,
): Promise<T> {
  await checkBudget(deps, tenantId);
  const { ai } = await resolveAi(deps, tenantId);
  let result: T;
  try {
    result = await fn(ai);
  } catch (err) {
    await recordFailure(deps, tenantId, answererOf(ai), err);
    throw err;
  }
  await recordUsage(deps, tenantId, result);
  return result;
}
