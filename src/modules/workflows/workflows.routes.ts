import type { FastifyPluginAsync } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';
import { problems } from '../../platform/http/openapi.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import { idPattern } from '../../platform/ids.ts';
import { boundedJson, cursorParam, limitParam, repeatable, safeText } from '../../platform/validation.ts';
import { runsStreamRoutes } from './runs-stream.routes.ts';
import { getSigningKey } from './signing-keys.ts';
import { validateDefinition } from './validate.ts';
import {
  cancelRun,
  createWorkflow,
  decideApproval,
  deleteWorkflow,
  getRun,
  getVersion,
  getWorkflow,
  handleWebhook,
  listRuns,
  listVersions,
  listWorkflows,
  rerunFromFailed,
  retryRun,
  setActive,
  startManualRun,
  updateWorkflow,
  type WorkflowsDeps,
} from './workflows.service.ts';
import { RUN_STATUSES } from './workflows.table.ts';

const definitionBody = boundedJson({ maxBytes: 512 * 1024, maxDepth: 32 });
const WorkflowIdParams = z.object({ id: z.string().regex(idPattern('wfl'), 'must be a workflow id (wfl_…)') });
const RunIdParams = z.object({ id: z.string().regex(idPattern('run'), 'must be a run id (run_…)') });

const WorkflowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    active: z.boolean(),
    version: z.number().int(),
    trigger: z.object({ type: z.string() }),
    webhookUrlPath: z.string().nullable(),
    signedWebhook: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Workflow' });
const WorkflowWithDefinition = WorkflowSchema.extend({ definition: z.unknown() }).meta({
  id: 'WorkflowWithDefinition',
});

const RunSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    version: z.number().int(),
    status: z.enum(RUN_STATUSES),
    triggerType: z.string(),
    queuedReason: z.string().nullable(),
    error: z.unknown(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    createdAt: z.string(),
    traceId: z
      .string()
      .nullable()
      .describe('The OpenTelemetry trace the run belongs to (null when tracing was off when it started)'),
  })
  .meta({ id: 'Run' });
const AttemptSchema = z
  .object({
    id: z.string(),
    stepId: z.string(),
    stepType: z.string(),
    attempt: z.number().int(),
    status: z.string(),
    output: z.unknown(),
    error: z.unknown(),
    branch: z.string().nullable(),
    waitState: z.unknown(),
    logs: z.unknown(),
    workerId: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'StepAttempt' });
const RunDetailSchema = RunSchema.extend({
  input: z.unknown(),
  output: z.unknown(),
  attempts: z.array(AttemptSchema),
}).meta({ id: 'RunDetail' });

const IdempotencyHeaders = z.object({
  'idempotency-key': safeText({ min: 1, max: 200 }).optional(),
});

export const EXPORT_FORMAT = 'switchyard.workflow/v1';

/** Workflows and runs under /api/v1 (authenticated, permission-checked). */
export const workflowsRoutes =
  (deps: WorkflowsDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['workflows'];
    const runTags = ['runs'];

    app.get(
      '/step-kinds',
      {
        config: { permission: 'workflows:read' },
        schema: {
          tags,
          summary: 'The step kinds this instance offers, with their config JSON Schemas',
          response: { 200: z.object({ data: z.array(z.unknown()) }) },
        },
      },
      async () => ({ data: deps.registry.describe() }),
    );

    app.get(
      '/webhook-signing-key',
      {
        config: { permission: 'workflows:read' },
        schema: {
          tags,
          summary: 'The public key that verifies this tenant’s signed webhooks (the `webhook` step)',
          description:
            'Standard Webhooks, asymmetric: `webhook-signature: v1a,<base64 Ed25519 signature>` over `{webhook-id}.{webhook-timestamp}.{body}`. The key pair is made on first use; the private key never leaves the server.',
          response: {
            200: z.object({
              keyId: z.string(),
              algorithm: z.literal('ed25519'),
              publicKey: z.string(),
              publicKeyPem: z.string(),
              standardWebhooksPublicKey: z.string(),
              headerFormat: z.string(),
              signedContent: z.string(),
              createdAt: z.string(),
            }),
          },
        },
      },
      async (req) => getSigningKey(deps, getRequestContext(req).tenantId),
    );

    app.post(
      '/workflows/validate',
      {
        config: { permission: 'workflows:read' },
        schema: {
          tags,
          summary: 'Check a definition and list every problem',
          body: z.object({ definition: definitionBody }),
          response: {
            200: z.object({ valid: z.boolean(), problems: z.array(z.unknown()) }),
            ...problems(400, 413, 415),
          },
        },
      },
      async (req) => {
        const r = validateDefinition(req.body.definition, deps.registry);
        // Warnings travel with a valid definition too, so the editor can show them on the nodes.
        return r.ok ? { valid: true, problems: r.warnings } : { valid: false, problems: r.problems };
      },
    );

    const CreateBody = z.object({
      name: safeText({ min: 1, max: 200 }),
      description: safeText({ max: 2000 }).optional(),
      definition: definitionBody,
      /** Turns on HMAC-SHA256 checking of `X-Switchyard-Signature` on the webhook. */
      webhookSecret: z.string().min(16).max(200).optional(),
    });

    app.post(
      '/workflows',
      {
        config: { permission: 'workflows:write' },
        schema: {
          tags,
          summary: 'Create a workflow (version 1, inactive)',
          body: CreateBody,
          response: { 201: WorkflowWithDefinition, ...problems(400, 413, 415) },
        },
      },
      async (req, reply) => {
        const w = await createWorkflow(deps, getRequestContext(req), req.body);
        return reply.status(201).header('location', `/api/v1/workflows/${w.id}`).send(w);
      },
    );

    app.post(
      '/workflows/import',
      {
        config: { permission: 'workflows:write' },
        schema: {
          tags,
          summary: 'Create a workflow from an export',
          body: z.object({
            format: z.literal(EXPORT_FORMAT),
            name: safeText({ min: 1, max: 200 }),
            description: safeText({ max: 2000 }).optional(),
            definition: definitionBody,
          }),
          response: { 201: WorkflowWithDefinition, ...problems(400, 413, 415) },
        },
      },
      async (req, reply) => {
        const w = await createWorkflow(deps, getRequestContext(req), req.body);
        return reply.status(201).header('location', `/api/v1/workflows/${w.id}`).send(w);
      },
    );

    app.get(
      '/workflows',
      {
        config: { permission: 'workflows:read' },
        schema: {
          tags,
          summary: 'List workflows',
          querystring: z.object({ limit: limitParam, cursor: cursorParam.optional() }),
          response: {
            200: z.object({ data: z.array(WorkflowSchema), nextCursor: z.string().nullable() }),
            ...problems(400),
          },
        },
      },
      async (req) => listWorkflows(deps, getRequestContext(req), req.query),
    );

    app.get(
      '/workflows/:id',
      {
        config: { permission: 'workflows:read' },
        schema: {
          tags,
          summary: 'Get a workflow with its current definition',
          params: WorkflowIdParams,
          response: { 200: WorkflowWithDefinition, ...problems(400, 404) },
        },
      },
      async (req) => getWorkflow(deps, getRequestContext(req), req.params.id),
    );

    app.patch(
      '/workflows/:id',
      {
        config: { permission: 'workflows:write' },
        schema: {
          tags,
          summary: 'Rename, or save a new version of the definition',
          description:
            'A new `definition` becomes a new immutable version; runs in flight keep the version they started on. Send the `version` you edited to get 409 instead of overwriting someone else’s save.',
          params: WorkflowIdParams,
          body: z.object({
            name: safeText({ min: 1, max: 200 }).optional(),
            description: safeText({ max: 2000 }).optional(),
            definition: definitionBody.optional(),
            version: z.number().int().min(1).optional(),
            /** Sets or rotates the webhook's HMAC secret; `null` turns signature checking off. */
            webhookSecret: z.string().min(16).max(200).nullable().optional(),
          }),
          response: { 200: WorkflowWithDefinition, ...problems(400, 404, 409, 413, 415) },
        },
      },
      async (req) =>
        updateWorkflow(deps, getRequestContext(req), req.params.id, {
          name: req.body.name,
          description: req.body.description,
          definition: req.body.definition,
          expectedVersion: req.body.version,
          webhookSecret: req.body.webhookSecret,
        }),
    );

    app.delete(
      '/workflows/:id',
      {
        config: { permission: 'workflows:write' },
        schema: {
          tags,
          summary: 'Delete a workflow and its runs',
          params: WorkflowIdParams,
          response: { 204: z.undefined(), ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        await deleteWorkflow(deps, getRequestContext(req), req.params.id);
        return reply.status(204).send();
      },
    );

    for (const [path, active] of [
      ['activate', true],
      ['deactivate', false],
    ] as const) {
      app.post(
        `/workflows/:id/${path}`,
        {
          config: { permission: 'workflows:write' },
          schema: {
            tags,
            summary: active ? 'Activate: webhooks answer, schedules fire, events start runs' : 'Deactivate',
            params: WorkflowIdParams,
            response: { 200: WorkflowWithDefinition, ...problems(400, 404) },
          },
        },
        async (req) => setActive(deps, getRequestContext(req), req.params.id, active),
      );
    }

    app.get(
      '/workflows/:id/versions',
      {
        config: { permission: 'workflows:read' },
        schema: {
          tags,
          summary: 'Version history',
          params: WorkflowIdParams,
          response: {
            200: z.object({
              data: z.array(z.object({ version: z.number().int(), createdBy: z.string(), createdAt: z.string() })),
            }),
            ...problems(400, 404),
          },
        },
      },
      async (req) => listVersions(deps, getRequestContext(req), req.params.id),
    );

    app.get(
      '/workflows/:id/versions/:version',
      {
        config: { permission: 'workflows:read' },
        schema: {
          tags,
          summary: 'One version’s definition',
          params: WorkflowIdParams.extend({ version: z.coerce.number().int().min(1).max(1_000_000) }),
          response: {
            200: z.object({
              version: z.number().int(),
              definition: z.unknown(),
              createdBy: z.string(),
              createdAt: z.string(),
            }),
            ...problems(400, 404),
          },
        },
      },
      async (req) => getVersion(deps, getRequestContext(req), req.params.id, req.params.version),
    );

    app.get(
      '/workflows/:id/export',
      {
        config: { permission: 'workflows:read' },
        schema: {
          tags,
          summary: 'Export as JSON (import it with POST /workflows/import)',
          params: WorkflowIdParams,
          response: {
            200: z.object({
              format: z.literal(EXPORT_FORMAT),
              name: z.string(),
              description: z.string(),
              definition: z.unknown(),
              exportedAt: z.string(),
            }),
            ...problems(400, 404),
          },
        },
      },
      async (req) => {
        const w = await getWorkflow(deps, getRequestContext(req), req.params.id);
        return {
          format: EXPORT_FORMAT,
          name: w.name,
          description: w.description,
          definition: w.definition,
          exportedAt: new Date().toISOString(),
        } as const;
      },
    );

    app.post(
      '/workflows/:id/runs',
      {
        config: { permission: 'runs:write' },
        schema: {
          tags: runTags,
          summary: 'Start a run (manual trigger)',
          description:
            'Answers 202 once the run is durably recorded. The same `Idempotency-Key` starts at most one run per workflow.',
          params: WorkflowIdParams,
          headers: IdempotencyHeaders,
          body: z
            .object({
              input: boundedJson({ maxBytes: 256 * 1024, maxDepth: 32 }).optional(),
              version: z.number().int().min(1).optional(),
            })
            .optional(),
          response: {
            202: z.object({ runId: z.string(), created: z.boolean() }),
            ...problems(400, 404, 413, 415),
          },
        },
      },
      async (req, reply) => {
        const started = await startManualRun(deps, getRequestContext(req), req.params.id, req.body?.input, {
          idempotencyKey: req.headers['idempotency-key'],
          version: req.body?.version,
        });
        if (!started.created) reply.header('idempotent-replayed', 'true');
        return reply.status(202).header('location', `/api/v1/runs/${started.runId}`).send(started);
      },
    );

    app.get(
      '/runs',
      {
        config: { permission: 'runs:read' },
        schema: {
          tags: runTags,
          summary: 'List runs, newest first',
          querystring: z.object({
            limit: limitParam,
            cursor: cursorParam.optional(),
            workflowId: z.string().regex(idPattern('wfl')).optional(),
            status: repeatable(z.enum(RUN_STATUSES)).optional(),
            from: z.iso.datetime({ offset: true }).optional(),
            to: z.iso.datetime({ offset: true }).optional(),
          }),
          response: {
            200: z.object({ data: z.array(RunSchema), nextCursor: z.string().nullable() }),
            ...problems(400),
          },
        },
      },
      async (req) => listRuns(deps, getRequestContext(req), req.query),
    );

    app.get(
      '/runs/:id',
      {
        config: { permission: 'runs:read' },
        schema: {
          tags: runTags,
          summary: 'A run with every step attempt (input, output, error, timings, worker, logs)',
          params: RunIdParams,
          response: { 200: RunDetailSchema, ...problems(400, 404) },
        },
      },
      async (req) => getRun(deps, getRequestContext(req), req.params.id),
    );

    app.post(
      '/runs/:id/cancel',
      {
        config: { permission: 'runs:write' },
        schema: {
          tags: runTags,
          summary: 'Cancel a run (it stops between steps)',
          params: RunIdParams,
          response: {
            200: z.object({ id: z.string(), previousStatus: z.string(), cancelRequested: z.boolean() }),
            ...problems(400, 404, 409),
          },
        },
      },
      async (req) => cancelRun(deps, getRequestContext(req), req.params.id),
    );

    app.post(
      '/runs/:id/retry',
      {
        config: { permission: 'runs:write' },
        schema: {
          tags: runTags,
          summary: 'Run again from the start, same version and input',
          params: RunIdParams,
          response: { 202: z.object({ runId: z.string() }), ...problems(400, 404) },
        },
      },
      async (req, reply) => reply.status(202).send(await retryRun(deps, getRequestContext(req), req.params.id)),
    );

    app.post(
      '/runs/:id/rerun',
      {
        config: { permission: 'runs:write' },
        schema: {
          tags: runTags,
          summary: 'Re-run a failed run from its failed step',
          description:
            'Steps that succeeded are carried over, not executed again. `latestVersion` runs the rest on the newest version.',
          params: RunIdParams,
          body: z.object({ latestVersion: z.boolean().default(false) }).optional(),
          response: {
            202: z.object({ runId: z.string(), carriedOver: z.array(z.string()) }),
            ...problems(400, 404, 409),
          },
        },
      },
      async (req, reply) =>
        reply.status(202).send(
          await rerunFromFailed(deps, getRequestContext(req), req.params.id, {
            latestVersion: req.body?.latestVersion,
          }),
        ),
    );

    app.post(
      '/runs/:id/approvals/:stepId',
      {
        config: { permission: 'runs:write' },
        schema: {
          tags: runTags,
          summary: 'Approve or reject a waiting approval step',
          params: RunIdParams.extend({ stepId: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/) }),
          body: z.object({
            decision: z.enum(['approved', 'rejected']),
            comment: safeText({ max: 2000 }).optional(),
          }),
          response: {
            200: z.object({ runId: z.string(), stepId: z.string(), decision: z.string() }),
            ...problems(400, 404, 409),
          },
        },
      },
      async (req) => decideApproval(deps, getRequestContext(req), req.params.id, req.params.stepId, req.body),
    );
    // Live progress of one run (server-sent events), in a file of its own.
    await app.register(runsStreamRoutes(deps));
  };

/**
 * The webhook's `Idempotency-Key`, checked like the API's: a key that cannot be honoured is a 400,
 * never silently ignored (the sender would believe its retries safe).
 */
function webhookIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = IdempotencyHeaders.shape['idempotency-key'].safeParse(value);
  if (!parsed.success || parsed.data === undefined) {
    throw new AppError('VALIDATION_FAILED', 'invalid', 'The headers did not match the schema.', {
      issues: [{ path: 'headers.idempotency-key', message: 'must be 1–200 characters of text' }],
    });
  }
  return parsed.data;
}

/**
 * `POST /hooks/:key` — public (the key is the credential). Keeps the raw body for the HMAC check;
 * accepts JSON, and text or an empty body.
 */
export const webhookRoutes =
  (deps: WorkflowsDeps): FastifyPluginAsync =>
  async (app) => {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
      (req as unknown as { rawBody: Buffer }).rawBody = body as Buffer;
      if ((body as Buffer).length === 0) return done(null, null);
      try {
        done(null, JSON.parse((body as Buffer).toString('utf8')));
      } catch {
        done(new AppError('INVALID_JSON', 'invalid', 'The request body is not valid JSON.'), undefined);
      }
    });
    app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (req, body, done) => {
      (req as unknown as { rawBody: Buffer }).rawBody = body as Buffer;
      done(null, (body as Buffer).toString('utf8'));
    });
    app.post<{ Params: { key: string } }>(
      '/hooks/:key',
      {
        schema: {
          tags: ['workflows'],
          summary: 'Webhook trigger',
          description:
            'Starts a run of the active workflow behind this key. `respond: immediately` answers 202 with the run id; `respond: wait` answers with the response step’s output (or 202 if the run outlives the timeout).',
          security: [],
        },
      },
      async (req, reply) => {
        const key = req.params.key;
        if (!/^whk_[A-Za-z0-9_-]{20,64}$/.test(key)) {
          throw new AppError('WEBHOOK_NOT_FOUND', 'not_found', 'No active webhook at this address.');
        }
        const result = await handleWebhook(deps, key, {
          body: req.body,
          rawBody: (req as unknown as { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0),
          headers: req.headers,
          query: req.query,
          idempotencyKey: webhookIdempotencyKey(req.headers['idempotency-key']),
        });
        reply.header('x-switchyard-run-id', result.runId);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return reply.status(result.status).send(result.body ?? null);
      },
    );
  };
