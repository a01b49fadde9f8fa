import { isAppError } from '../../../platform/errors.ts';
import { type StepContext, StepPermanentError } from '../../workflows/steps/step-kind.ts';
import { type Ai, createAi } from '../ai.service.ts';
import { AI_ERRORS, type AiErrorName } from '../errors.ts';
import type { AiAnswerer } from '../provider.ts';
import { AiJournal, type AiCallSummary, type AiOperation } from './journal.ts';
import type { AiStepPort } from './port.ts';

/**
 * Whether the engine should retry a step that failed with an AI error: a total table over the AI
 * module's codes, so a new code does not compile until someone decides.
 *
 * Not retried: what retrying cannot fix (no provider, the month's budget spent, a refused or
 * malformed request, a bad key) and an answer over the size bounds (it was paid for; asking again
 * would most likely pay for the same again). Retried with the step's back-off: rate limits,
 * outages, timeouts, malformed answers and extractions that did not validate.
 */
const RETRIED: { readonly [K in AiErrorName]: boolean } = {
  PROVIDER_REQUIRED: false,
  PROVIDER_BAD_RESPONSE: true,
  PROVIDER_RATE_LIMITED: true,
  PROVIDER_UNAVAILABLE: true,
  PROVIDER_AUTH_FAILED: false,
  PROVIDER_REJECTED: false,
  PROVIDER_TIMEOUT: true,
  OUTPUT_TOO_LARGE: false,
  INPUT_TOO_LARGE: false,
  SCHEMA_INVALID: false,
  EXTRACTION_FAILED: true,
  REQUEST_INVALID: false,
  CONFIG_INVALID: false,
  BUDGET_EXCEEDED: false,
  DOCUMENT_TYPE_UNSUPPORTED: false,
  DOCUMENT_UNREADABLE: false,
};
const BY_CODE = new Map<string, boolean>(
  (Object.keys(AI_ERRORS) as AiErrorName[]).map((name) => [AI_ERRORS[name][0], RETRIED[name]]),
);

/** A failure as the engine classifies it: `StepPermanentError` is final, anything else is retried. */
export function toStepError(err: unknown): unknown {
  if (!isAppError(err)) return err;
  const retried = BY_CODE.get(err.code) ?? (err.kind === 'unavailable' || err.kind === 'rate_limited');
  const retryAfter = err.extra?.retryAfterMs ?? err.extra?.retryAfterSeconds;
  const details = {
    ...(err.extra?.retryAfterMs !== undefined ? { retryAfterMs: err.extra.retryAfterMs } : {}),
    ...(err.extra?.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.extra.retryAfterSeconds } : {}),
    ...(err.extra?.provider !== undefined ? { provider: err.extra.provider } : {}),
    ...(err.extra?.status !== undefined ? { status: err.extra.status } : {}),
    ...(err.extra?.problems !== undefined ? { problems: err.extra.problems } : {}),
    ...(err.issues ? { issues: err.issues } : {}),
  };
  if (!retried) return new StepPermanentError(err.message, err.code, Object.keys(details).length ? details : undefined);
  // The engine's back-off decides when; the provider's hint is kept in the message for the run view.
  const hint =
    retryAfter !== undefined
      ? ` (the provider asked to wait ${String(retryAfter)}${err.extra?.retryAfterMs !== undefined ? ' ms' : ' s'})`
      : '';
  return Object.assign(new Error(`${err.message}${hint}`), { code: err.code });
}

/** The operations over a journaling provider (the offline engine needs none). */
function journaled(resolved: Ai, journal: AiJournal, port: AiStepPort): Ai {
  const provider = resolved.provider.kind === 'offline' ? undefined : journal.wrap(resolved.provider);
  return createAi({ ...(provider ? { provider } : {}), offline: port.offline, maxInputChars: port.maxInputChars });
}

const answerer = (ai: Ai) => ({ provider: ai.provider.id, kind: ai.provider.kind, model: ai.provider.model });

/**
 * Runs one AI operation for a step: resolves the tenant's provider, checks its budget (model
 * calls only: the offline engine costs nothing), journals every call on the attempt, records the
 * usage, and turns AI errors into step errors. A failure to record usage is logged on the attempt
 * and does not fail the step: failing it would make the engine call (and pay) the model again.
 */
export async function runAi<T extends AiAnswerer>(
  ctx: StepContext,
  operation: AiOperation,
  fn: (ai: Ai, journal: AiJournal) => Promise<T>,
): Promise<{ result: T; ai: AiCallSummary }> {
  const port = ctx.services.ai as AiStepPort | undefined;
  if (!port) throw new StepPermanentError('AI is not available in this process.', 'STEP_UNAVAILABLE');
  const journal = new AiJournal(ctx.log, operation, port.costOf);
  try {
    const resolved = await port.resolve(ctx.tenantId);
    if (resolved.provider.kind !== 'offline') await port.checkBudget(ctx.tenantId);
    const ai = journaled(resolved, journal, port);
    let result: T;
    try {
      result = await fn(ai, journal);
    } catch (err) {
      await port
        .recordFailure(ctx.tenantId, answerer(ai), err)
        .catch((e: unknown) => ctx.log('warn', 'AI usage not recorded', { error: String(e) }));
      throw err;
    }
    await port
      .recordUsage(ctx.tenantId, journal.answers.length ? journal.answers : [result])
      .catch((e: unknown) => ctx.log('warn', 'AI usage not recorded', { error: String(e) }));
    return { result, ai: journal.summary(result) };
  } catch (err) {
    throw toStepError(err);
  }
}

/** A templated text input as the operations take it: strings as they are, other values as JSON. */
export function asText(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value);
  if (text.trim() === '') {
    throw new StepPermanentError(`The ${field} is empty after templating.`, 'AI_REQUEST_INVALID', { field });
  }
  return text;
}
