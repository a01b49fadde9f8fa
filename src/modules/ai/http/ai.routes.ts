import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getRequestContext } from '../../../platform/http/request-context.ts';
import { type AiRuntime, resolveAi } from '../ai.runtime.ts';
import type { GenerateRequest } from '../provider.ts';
import { answererOf, checkBudget, meteredCall, recordFailure, recordUsage, usageThisMonth } from '../usage.ts';
import {
  CALL_PROBLEMS,
  ClassificationSchema,
  ExtractionSchema,
  GenerationSchema,
  requestSchemas,
  SummarySchema,
  UsageMonthSchema,
} from './ai.dto.ts';
import { documentRoutes } from './document.routes.ts';
import { providerRoutes } from './provider.routes.ts';
import { clientGoneSignal, sendEventStream, wantsEventStream } from './sse.ts';

/**
 * The AI API under /api/v1/ai: operations (`ai:use`), the tenant's provider (`ai:manage`) and
 * usage. Every operation checks the tenant's monthly budget first, answers with who answered
 * (`provider`, `kind`, `model`, `usage`) and records its usage after.
 */
export const aiRoutes =
  (deps: AiRuntime): FastifyPluginAsyncZod =>
  async (app) => {
    const schemas = requestSchemas(deps.config.maxInputChars);
    // Room for the largest text the operations accept, as UTF-8 inside JSON (escapes included).
    const bodyLimit = Math.max(1024 * 1024, deps.config.maxInputChars * 6 + 64 * 1024);
    const tags = ['ai'];
    const config = { permission: 'ai:use' } as const;
    const tenantOf = (req: FastifyRequest) => getRequestContext(req).tenantId;

    await app.register(providerRoutes(deps));
    await app.register(documentRoutes(deps, { bodyLimit }));

    app.post(
      '/ai/summarize',
      {
        bodyLimit,
        config,
        schema: {
          tags,
          summary: 'Summarise a text (offline: extractive, TextRank)',
          body: schemas.summarize,
          response: { 200: SummarySchema, ...CALL_PROBLEMS },
        },
      },
      async (req, reply) => {
        const signal = clientGoneSignal(reply);
        return meteredCall(deps, tenantOf(req), (ai) =>
          ai.summarize(req.body.text, { maxSentences: req.body.maxSentences, signal }),
        );
      },
    );

    app.post(
      '/ai/classify',
      {
        bodyLimit,
        config,
        schema: {
          tags,
          summary: 'Classify a text into one of the given labels (offline: nearest centroid)',
          body: schemas.classify,
          response: { 200: ClassificationSchema, ...CALL_PROBLEMS },
        },
      },
      async (req, reply) => {
        const signal = clientGoneSignal(reply);
        return meteredCall(deps, tenantOf(req), (ai) => ai.classify(req.body.text, req.body.labels, { signal }));
      },
    );

    app.post(
      '/ai/extract',
      {
        bodyLimit,
        config,
        schema: {
          tags,
          summary: 'Extract data matching a JSON Schema from a text (needs a provider)',
          body: schemas.extract,
          response: { 200: ExtractionSchema, ...CALL_PROBLEMS },
        },
      },
      async (req, reply) => {
        const signal = clientGoneSignal(reply);
        const { text, schema, instructions, maxAttempts } = req.body;
        return meteredCall(deps, tenantOf(req), (ai) =>
          ai.extract(text, schema, { instructions, maxAttempts, signal }),
        );
      },
    );

    app.post(
      '/ai/generate',
      {
        bodyLimit,
        config,
        schema: {
          tags,
          summary: 'Generate text (needs a provider); `Accept: text/event-stream` streams it',
          description:
            'With `Accept: text/event-stream` the answer is a stream of `delta` events (`{"text": …}`) and a final `done` event (`provider`, `kind`, `model`, `usage`, `finishReason`); a failure after the stream started is an `error` event carrying the problem document. A failure before the first delta is an ordinary problem response.',
          body: schemas.generate,
          response: { 200: GenerationSchema, ...CALL_PROBLEMS },
        },
      },
      async (req, reply) => {
        const request: GenerateRequest = { ...req.body, signal: clientGoneSignal(reply) };
        if (wantsEventStream(req)) return streamGeneration(deps, req, reply, request);
        return meteredCall(deps, tenantOf(req), (ai) => ai.generate(request));
      },
    );

    app.get(
      '/ai/usage',
      {
        config,
        schema: {
          tags,
          summary: "This month's AI usage (UTC) by provider and model, with the tenant's limits",
          response: { 200: UsageMonthSchema },
        },
      },
      async (req) => usageThisMonth(deps, tenantOf(req)),
    );
  };

/**
 * Streams a generation as server-sent events. The first delta is awaited before the stream
 * starts, so a refusal (no provider, bad key, rate limit) still answers with its own status.
 */
async function streamGeneration(deps: AiRuntime, req: FastifyRequest, reply: FastifyReply, request: GenerateRequest) {
  const tenantId = getRequestContext(req).tenantId;
  await checkBudget(deps, tenantId);
  const { ai } = await resolveAi(deps, tenantId);
  const failed = (err: unknown) => recordFailure(deps, tenantId, answererOf(ai), err).catch(() => undefined);
  let iterator: AsyncIterator<string>;
  let first: IteratorResult<string>;
  let stream: ReturnType<typeof ai.stream>;
  try {
    stream = ai.stream(request);
    // Settled by the iteration below or reported through it; never left unhandled.
    stream.result.catch(() => undefined);
    iterator = stream[Symbol.asyncIterator]();
    first = await iterator.next();
  } catch (err) {
    await failed(err);
    throw err;
  }
  return sendEventStream(req, reply, async (write) => {
    try {
      for (let step = first; !step.done; step = await iterator.next()) write('delta', { text: step.value });
      const result = await stream.result;
      await recordUsage(deps, tenantId, result);
      const { provider, kind, model, usage, finishReason } = result;
      write('done', { provider, kind, model, usage, finishReason });
    } catch (err) {
      await failed(err);
      throw err;
    }
  });
}
