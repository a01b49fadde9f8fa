import { z } from 'zod';
import { AppError } from './errors.ts';

/**
 * Building blocks for input schemas. PostgreSQL rejects NUL characters in text and lone UTF-16
 * surrogates in jsonb; letting either through would turn bad input into a 500, so every
 * user-supplied string goes through `safeText`.
 */
const hasNul = (s: string) => s.includes('\u0000');

export const safeText = (opts: { min?: number; max: number; trim?: boolean }) => {
  const base = opts.trim === false ? z.string() : z.string().trim();
  return base
    .min(opts.min ?? 0)
    .max(opts.max)
    .refine((s) => !hasNul(s), 'must not contain NUL characters')
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode');
};

/**
 * Walks a JSON value checking types, every key and string; returns the first problem found.
 * Depth is checked before descending, so hostile nesting cannot exhaust the stack (zod's own
 * `z.json()` recurses without a bound and overflows near 2,000 levels).
 */
function jsonProblem(value: unknown, depth: number, maxDepth: number): string | undefined {
  if (depth > maxDepth) return `nests deeper than ${maxDepth} levels`;
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'holds a non-finite number';
  if (typeof value === 'string') {
    if (hasNul(value)) return 'holds a string with a NUL character';
    if (!value.isWellFormed()) return 'holds a string that is not well-formed Unicode';
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const v of value) {
      const p = jsonProblem(v, depth + 1, maxDepth);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (hasNul(k) || !k.isWellFormed()) return 'holds a key that is not well-formed text';
      const p = jsonProblem(v, depth + 1, maxDepth);
      if (p) return p;
    }
    return undefined;
  }
  return 'is not a JSON value';
}

interface JsonBounds {
  maxBytes: number;
  maxDepth: number;
}

function checkJson(value: unknown, opts: JsonBounds, ctx: z.RefinementCtx): void {
  const problem = jsonProblem(value, 0, opts.maxDepth);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return;
  }
  const size = Buffer.byteLength(JSON.stringify(value) ?? '');
  if (size > opts.maxBytes) ctx.addIssue({ code: 'custom', message: `must be at most ${opts.maxBytes} bytes as JSON` });
}

/** Any JSON value, bounded in serialized size and depth, safe to store as jsonb. */
export const boundedJson = (opts: JsonBounds) =>
  z
    .unknown()
    .superRefine((value, ctx) => {
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: 'is required' });
        return;
      }
      checkJson(value, opts, ctx);
    })
    .meta({ description: `Any JSON value up to ${opts.maxBytes} bytes and ${opts.maxDepth} levels deep` });

/** A free-form JSON object bounded in serialized size and depth, safe to store as jsonb. */
export const boundedJsonObject = (opts: JsonBounds) =>
  z.record(z.string().max(200), z.unknown()).superRefine((value, ctx) => checkJson(value, opts, ctx));

/** `limit` for list endpoints: 1–100, default 20. Out of range is a 400, not a silent clamp. */
export const limitParam = z.coerce.number().int().min(1).max(100).default(20);

/**
 * Opaque keyset cursors: base64url JSON that names the sort it belongs to, so a cursor reused
 * with another sort or search is refused instead of returning a wrong page.
 */
export const cursorParam = z
  .string()
  .max(1024)
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a valid cursor');

export function encodeCursor(payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidCursor();
  return parsed.data;
}

export const invalidCursor = () =>
  new AppError('INVALID_CURSOR', 'invalid', 'The cursor is malformed or belongs to a different query.', {
    issues: [{ path: 'querystring.cursor', message: 'is not a cursor for this query' }],
  });

/** One or many values of a repeated query parameter (`?tag=a&tag=b`), as an array. */
export const repeatable = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).max(20)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);
