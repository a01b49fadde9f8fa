import { evaluate, ExpressionError } from '../../workflows/expressions.ts';
import { JOB_LIMITS, parseCsvRows, ProcessDataPayload } from '../jobs.dto.ts';
import { JobFailure, type JobHandler, parsePayload } from './handler.ts';

/**
 * `process-data`: a JSONata expression over `{ data }`, where `data` is the JSON payload as sent
 * or the CSV's records as objects of strings (keyed by the header line). The result is the
 * expression's value (null when it matches nothing). Expression errors are permanent: the same
 * data and expression fail the same way every time.
 */
export const processData: JobHandler = async (payload, ctx) => {
  const p = parsePayload(ProcessDataPayload, payload);
  const rows = p.format === 'csv' ? parseCsvRows(p.data) : p.data;
  await ctx.checkpoint(10);
  try {
    const result = await evaluate(p.expression, { data: rows }, { timeoutMs: JOB_LIMITS.expressionTimeoutMs });
    return { result: result ?? null };
  } catch (err) {
    if (err instanceof ExpressionError) throw new JobFailure(err.code, err.message, true);
    throw err;
  }
};
