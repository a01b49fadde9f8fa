import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../platform/errors.ts';
import { problems } from '../../platform/http/openapi.ts';
import { sendProblem, toAppError } from '../../platform/http/problem.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import {
  CreateJobBody,
  FileIdParams,
  IdempotencyHeaders,
  JOB_LIMITS,
  JOB_TYPES,
  JobIdParams,
  JobListSchema,
  JobSchema,
  ListJobsQuery,
} from './jobs.dto.ts';
import { cancelJob, createJob, getFile, getJob, type JobsDeps, listJobs, retryJob } from './jobs.service.ts';

/**
 * A create body that fails its schema gets a code saying what was wrong: the type, the payload's
 * expression, or the rest of the payload. Other validation problems stay `VALIDATION_FAILED`.
 */
function createJobProblem(err: unknown): unknown {
  const e = toAppError(err);
  if (e.code !== 'VALIDATION_FAILED' || !e.issues) return err;
  const paths = e.issues.map((i) => i.path);
  const opts = { issues: e.issues };
  if (paths.includes('body.type')) {
    return new AppError('JOB_TYPE_UNKNOWN', 'invalid', `type must be one of ${JOB_TYPES.join(', ')}.`, opts);
  }
  if (paths.some((p) => p === 'body.payload.expression')) {
    return new AppError('JOB_EXPRESSION_INVALID', 'invalid', 'The JSONata expression does not compile.', opts);
  }
  if (paths.some((p) => p === 'body.payload' || p.startsWith('body.payload.'))) {
    return new AppError('JOB_PAYLOAD_INVALID', 'invalid', "The payload does not match its type's schema.", opts);
  }
  return e;
}

/** HTTP adapter for jobs and the files they produce. No logic lives here. */
export const jobsRoutes =
  (deps: JobsDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['jobs'];

    app.post(
      '/jobs',
      {
        config: { permission: 'jobs:write' },
        // A 1 MiB CSV payload grows when escaped as a JSON string.
        bodyLimit: JOB_LIMITS.createBodyMaxBytes,
        errorHandler: (err: unknown, req: FastifyRequest, reply: FastifyReply) =>
          sendProblem(reply, req, createJobProblem(err)),
        schema: {
          tags,
          summary: 'Create a job',
          description:
            'Answers 201 with the job once it is recorded and queued. With an `Idempotency-Key` header, the same key in the same tenant answers 200 with the job it created first (`Idempotent-Replayed: true`), whatever the body.',
          headers: IdempotencyHeaders,
          body: CreateJobBody,
          response: { 200: JobSchema, 201: JobSchema, ...problems(400, 413, 415) },
        },
      },
      async (req, reply) => {
        const { job, created } = await createJob(deps, getRequestContext(req), req.body, {
          idempotencyKey: req.headers['idempotency-key'],
          log: req.log,
        });
        if (!created) reply.header('idempotent-replayed', 'true');
        return reply
          .status(created ? 201 : 200)
          .header('location', `/api/v1/jobs/${job.id}`)
          .send(job);
      },
    );

    app.get(
      '/jobs',
      {
        config: { permission: 'jobs:read' },
        schema: {
          tags,
          summary: 'List jobs, newest first',
          description: 'Cursor-paginated; payloads and results are left out (read one job for them).',
          querystring: ListJobsQuery,
          response: { 200: JobListSchema, ...problems(400) },
        },
      },
      async (req) => listJobs(deps.db, getRequestContext(req), req.query),
    );

    app.get(
      '/jobs/:id',
      {
        config: { permission: 'jobs:read' },
        schema: {
          tags,
          summary: 'Get a job with its payload, progress, result and error',
          params: JobIdParams,
          response: { 200: JobSchema, ...problems(400, 404) },
        },
      },
      async (req) => getJob(deps.db, getRequestContext(req), req.params.id),
    );

    app.post(
      '/jobs/:id/retry',
      {
        config: { permission: 'jobs:write' },
        schema: {
          tags,
          summary: 'Run a failed or cancelled job again',
          description: 'Attempts start again from 0 and the job runs now. 409 `JOB_NOT_RETRYABLE` otherwise.',
          params: JobIdParams,
          response: { 200: JobSchema, ...problems(400, 404, 409) },
        },
      },
      async (req) => retryJob(deps, getRequestContext(req), req.params.id, req.log),
    );

    app.post(
      '/jobs/:id/cancel',
      {
        config: { permission: 'jobs:write' },
        schema: {
          tags,
          summary: 'Cancel a queued or running job',
          description:
            'A queued job never runs. A running one is marked cancelled at once and its handler stops at its next checkpoint (best effort; its result is not stored). 409 `JOB_NOT_CANCELLABLE` once finished.',
          params: JobIdParams,
          response: { 200: JobSchema, ...problems(400, 404, 409) },
        },
      },
      async (req) => cancelJob(deps, getRequestContext(req), req.params.id, req.log),
    );

    app.get(
      '/files/:id',
      {
        config: { permission: 'jobs:read' },
        schema: {
          tags,
          summary: 'Download a file a job produced (a report)',
          description: 'Answers the content as an attachment with its content type (CSV or JSON).',
          params: FileIdParams,
          response: { ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        const file = await getFile(deps.db, getRequestContext(req), req.params.id);
        // Raw bytes: Fastify sends a Buffer as is, past the JSON serializer.
        const raw: FastifyReply = reply;
        return raw
          .type(file.contentType)
          .header('content-disposition', `attachment; filename="${file.name}"`)
          .header('cache-control', 'private, no-store')
          .send(file.content);
      },
    );
  };
