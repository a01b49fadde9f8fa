import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../../../platform/http/openapi.ts';
import { getRequestContext } from '../../../platform/http/request-context.ts';
import { safeText } from '../../../platform/validation.ts';
import { type AiRuntime, resolveAi } from '../ai.runtime.ts';
import { analyzeDocument, type DocumentKind } from '../document/analyze.ts';
import { readUpload, TEXT_TYPES } from '../document/upload.ts';
import { aiError } from '../errors.ts';
import { answererOf, checkBudget, recordFailure, recordUsage } from '../usage.ts';
import { AnalysisSchema, CALL_PROBLEMS, requestSchemas } from './ai.dto.ts';
import { clientGoneSignal } from './sse.ts';

const ANALYZE_DESCRIPTION =
  'Summary, entities (names, emails, URLs, percentages), key dates and amounts, keywords, language and sentiment. When the document looks like a contract (or `kind: contract`), also its clauses (split at numbered headings) and risk flags from the documented offline rules, plus the model’s own review when a provider is configured.';

const UploadQuery = z
  .object({
    kind: z.enum(['auto', 'contract', 'general']).default('auto'),
    filename: safeText({ min: 1, max: 255 }).optional(),
    maxSummarySentences: z.coerce.number().int().min(1).max(20).optional(),
  })
  .strict();

/** `POST /ai/analyze-document` (text in JSON) and `/ai/analyze-document/upload` (a file). */
export const documentRoutes =
  (deps: AiRuntime, opts: { bodyLimit: number }): FastifyPluginAsyncZod =>
  async (app) => {
    const schemas = requestSchemas(deps.config.maxInputChars);
    const tags = ['ai'];
    const config = { permission: 'ai:use' } as const;

    app.post(
      '/ai/analyze-document',
      {
        bodyLimit: opts.bodyLimit,
        config,
        schema: {
          tags,
          summary: 'Analyse a document given as text',
          description: ANALYZE_DESCRIPTION,
          body: schemas.analyze,
          response: { 200: AnalysisSchema, ...CALL_PROBLEMS },
        },
      },
      async (req, reply) =>
        analyze(deps, req, reply, {
          text: req.body.text,
          kind: req.body.kind,
          maxSummarySentences: req.body.maxSummarySentences,
          mediaType: 'text/plain',
          filename: null,
        }),
    );

    // Its own scope: this route reads any body as bytes, which the JSON routes must not.
    await app.register(async (scope) => {
      const upload = scope.withTypeProvider<ZodTypeProvider>();
      upload.removeAllContentTypeParsers();
      upload.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
      upload.post(
        '/ai/analyze-document/upload',
        {
          bodyLimit: deps.config.maxInputChars * 4 + 64 * 1024,
          config,
          schema: {
            tags,
            summary: 'Analyse an uploaded document (text, Markdown, CSV or JSON)',
            description: `${ANALYZE_DESCRIPTION} Send the file as the body with its media type (${TEXT_TYPES.join(', ')}), or as the part named \`file\` of a multipart/form-data body (a \`kind\` field is read too). PDF and Word documents are refused with 415 \`AI_DOCUMENT_TYPE_UNSUPPORTED\`: no parser for them is installed.`,
            querystring: UploadQuery,
            response: { 200: AnalysisSchema, ...CALL_PROBLEMS, ...problems(415) },
          },
        },
        async (req, reply) => {
          const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          const doc = readUpload(body, req.headers['content-type'] ?? '', req.query.filename ?? null);
          const fieldKind = UploadQuery.shape.kind.safeParse(doc.fields.kind);
          return analyze(deps, req, reply, {
            text: doc.text,
            kind: doc.fields.kind !== undefined && fieldKind.success ? fieldKind.data : req.query.kind,
            maxSummarySentences: req.query.maxSummarySentences,
            mediaType: doc.mediaType,
            filename: doc.filename,
          });
        },
      );
    });
  };

async function analyze(
  deps: AiRuntime,
  req: FastifyRequest,
  reply: FastifyReply,
  input: {
    text: string;
    kind: DocumentKind;
    maxSummarySentences: number | undefined;
    mediaType: string;
    filename: string | null;
  },
) {
  const max = deps.config.maxInputChars;
  if (input.text.length > max) {
    throw aiError('INPUT_TOO_LARGE', `The document is longer than ${max} characters.`, { extra: { maxChars: max } });
  }
  if (input.text.trim() === '') throw aiError('REQUEST_INVALID', 'The document is empty.');
  const tenantId = getRequestContext(req).tenantId;
  await checkBudget(deps, tenantId);
  const { ai } = await resolveAi(deps, tenantId);
  let analysis: Awaited<ReturnType<typeof analyzeDocument>>;
  try {
    analysis = await analyzeDocument(ai, input.text, {
      kind: input.kind,
      ...(input.maxSummarySentences ? { maxSummarySentences: input.maxSummarySentences } : {}),
      signal: clientGoneSignal(reply),
    });
  } catch (err) {
    await recordFailure(deps, tenantId, answererOf(ai), err);
    throw err;
  }
  await recordUsage(deps, tenantId, analysis.answerers);
  const { answerers: _recorded, ...rest } = analysis;
  return {
    ...rest,
    kind: ai.provider.kind,
    document: { chars: input.text.length, mediaType: input.mediaType, filename: input.filename },
  };
}
