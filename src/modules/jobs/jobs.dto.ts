import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { idPattern } from '../../platform/ids.ts';
import { boundedJson, cursorParam, limitParam, repeatable, safeText } from '../../platform/validation.ts';
import { jsonataExpression } from '../workflows/expressions.ts';
import { JOB_STATUSES } from './jobs.table.ts';

/** Input and output bounds, in one place so docs and tests can quote them. */
export const JOB_LIMITS = {
  idempotencyKeyMax: 200,
  /** A CSV payload, in UTF-8 bytes. */
  csvMaxBytes: 1024 * 1024,
  /** A JSON `data` payload, serialized. */
  jsonDataMaxBytes: 1024 * 1024,
  jsonDataMaxDepth: 32,
  /** Wall-clock time for one `process-data` evaluation. */
  expressionTimeoutMs: 2_000,
  /** A job's stored result, serialized. */
  resultMaxBytes: 256 * 1024,
  /** The POST /jobs body (a 1 MiB CSV grows when escaped as a JSON string). */
  createBodyMaxBytes: 3 * 1024 * 1024,
  priorityMax: 100,
  maxAttemptsMax: 10,
  /** How far ahead `runAt` may be. */
  runAtMaxDaysAhead: 365,
  emailSubjectMax: 200,
  emailTextMax: 100_000,
  webhookUrlMax: 2048,
  webhookBodyMaxBytes: 256 * 1024,
  webhookTimeoutMs: 10_000,
  reportMaxRows: 100_000,
  reportMaxBytes: 20 * 1024 * 1024,
  reportPageRows: 1_000,
} as const;

export const JOB_TYPES = ['process-data', 'send-notification', 'generate-report', 'cleanup'] as const;
export type JobType = (typeof JOB_TYPES)[number];

// ---------------------------------------------------------------------------------------------
// Payloads, one per type

const csvText = z
  .string()
  .max(JOB_LIMITS.csvMaxBytes, `must be at most ${JOB_LIMITS.csvMaxBytes} bytes`)
  .refine((s) => Buffer.byteLength(s) <= JOB_LIMITS.csvMaxBytes, `must be at most ${JOB_LIMITS.csvMaxBytes} bytes`)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
  .refine((s) => s.isWellFormed(), 'must be well-formed Unicode')
  .superRefine((s, ctx) => {
    const problem = csvProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Parses CSV the way `process-data` does: a header line, then one object per record. */
export function parseCsvRows(text: string): Record<string, string>[] {
  return parseCsv(text, {
    columns: (header: string[]) => {
      if (header.some((h) => h === '__proto__')) throw new Error('a column may not be named __proto__');
      return header;
    },
    bom: true,
    skip_empty_lines: true,
    max_record_size: 64 * 1024,
  }) as Record<string, string>[];
}

function csvProblem(text: string): string | undefined {
  try {
    parseCsvRows(text);
    return undefined;
  } catch (err) {
    return `is not valid CSV: ${(err as Error).message.slice(0, 200)}`;
  }
}

export const ProcessDataPayload = z.discriminatedUnion('format', [
  z.strictObject({
    format: z.literal('json'),
    data: boundedJson({ maxBytes: JOB_LIMITS.jsonDataMaxBytes, maxDepth: JOB_LIMITS.jsonDataMaxDepth }),
    expression: jsonataExpression(),
  }),
  z.strictObject({
    format: z.literal('csv'),
    data: csvText.describe('CSV text with a header line; each record becomes an object of strings'),
    expression: jsonataExpression(),
  }),
]);

const httpUrl = z
  .string()
  .max(JOB_LIMITS.webhookUrlMax)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials');

/** A single line: no CR/LF, so a subject can never smuggle mail headers. */
const singleLine = (max: number) => safeText({ min: 1, max }).refine((s) => !/[\r\n]/.test(s), 'must be a single line');

export const SendNotificationPayload = z.discriminatedUnion('channel', [
  z.strictObject({
    channel: z.literal('email'),
    to: z.email().max(254),
    subject: singleLine(JOB_LIMITS.emailSubjectMax),
    text: safeText({ min: 1, max: JOB_LIMITS.emailTextMax, trim: false }),
  }),
  z.strictObject({
    channel: z.literal('webhook'),
    url: httpUrl,
    body: boundedJson({ maxBytes: JOB_LIMITS.webhookBodyMaxBytes, maxDepth: 32 }),
  }),
]);

const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const GenerateReportPayload = z
  .strictObject({
    source: z.enum(['items', 'runs']),
    format: z.enum(['csv', 'json']),
    from: instant.optional().describe('Rows created at or after this instant'),
    to: instant.optional().describe('Rows created before this instant'),
  })
  .refine((p) => !p.from || !p.to || p.from < p.to, { message: 'from must be before to', path: ['to'] });

export const CleanupPayload = z.strictObject({
  dryRun: z.boolean().default(false).describe('Count what would be deleted, delete nothing'),
});

export const PAYLOAD_SCHEMAS = {
  'process-data': ProcessDataPayload,
  'send-notification': SendNotificationPayload,
  'generate-report': GenerateReportPayload,
  cleanup: CleanupPayload,
} as const satisfies Record<JobType, z.ZodType>;

export type JobPayload<T extends JobType> = z.output<(typeof PAYLOAD_SCHEMAS)[T]>;

// ---------------------------------------------------------------------------------------------
// Requests

const common = {
  runAt: z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s))
    .refine(
      (d) => d.getTime() <= Date.now() + JOB_LIMITS.runAtMaxDaysAhead * 86_400_000,
      `must be at most ${JOB_LIMITS.runAtMaxDaysAhead} days ahead`,
    )
    .optional()
    .describe('Not before this instant (default: now)'),
  priority: z
    .number()
    .int()
    .min(0)
    .max(JOB_LIMITS.priorityMax)
    .default(0)
    .describe('Lower runs first among due jobs; default 0'),
  maxAttempts: z
    .number()
    .int()
    .min(1)
    .max(JOB_LIMITS.maxAttemptsMax)
    .default(3)
    .describe('Deliveries before the job fails; default 3'),
};

export const CreateJobBody = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('process-data'), payload: ProcessDataPayload, ...common }),
    z.strictObject({ type: z.literal('send-notification'), payload: SendNotificationPayload, ...common }),
    z.strictObject({ type: z.literal('generate-report'), payload: GenerateReportPayload, ...common }),
    z.strictObject({ type: z.literal('cleanup'), payload: CleanupPayload.default({ dryRun: false }), ...common }),
  ])
  .meta({ id: 'CreateJob' });
export type CreateJobInput = z.output<typeof CreateJobBody>;

export const IdempotencyHeaders = z.looseObject({
  'idempotency-key': safeText({ min: 1, max: JOB_LIMITS.idempotencyKeyMax, trim: false })
    .optional()
    .describe('The same key in the same tenant returns the job it created (200) instead of a new one'),
});

export const JobIdParams = z.strictObject({
  id: z.string().regex(idPattern('job'), 'is not a job id (job_…)'),
});

export const FileIdParams = z.strictObject({
  id: z.string().regex(idPattern('fil'), 'is not a file id (fil_…)'),
});

export const ListJobsQuery = z.strictObject({
  limit: limitParam,
  cursor: cursorParam.optional(),
  status: repeatable(z.enum(JOB_STATUSES)).optional(),
  type: repeatable(z.enum(JOB_TYPES)).optional(),
});
export type ListJobsQuery = z.output<typeof ListJobsQuery>;

// ---------------------------------------------------------------------------------------------
// Responses

const JobErrorSchema = z.object({ code: z.string(), message: z.string() }).nullable();

const jobFields = {
  id: z.string(),
  type: z.string(),
  status: z.enum(JOB_STATUSES),
  priority: z.number().int(),
  runAt: z.iso.datetime(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  progress: z.number().int().describe('0–100'),
  error: JobErrorSchema.describe('The last failure: set while a retry is pending and when the job failed'),
  idempotencyKey: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable().describe('Start of the latest attempt'),
  finishedAt: z.iso.datetime().nullable(),
};

export const JobSummarySchema = z.object(jobFields).meta({ id: 'JobSummary' });
export type JobSummary = z.output<typeof JobSummarySchema>;

export const JobSchema = z
  .object({
    ...jobFields,
    payload: z.unknown(),
    result: z.unknown().describe('What the job produced (null until it succeeded)'),
  })
  .meta({ id: 'Job' });
export type Job = z.output<typeof JobSchema>;

export const JobListSchema = z
  .object({ data: z.array(JobSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'JobList' });
