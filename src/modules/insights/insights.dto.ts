import { z } from 'zod';
import { idPattern } from '../../platform/ids.ts';
import { cursorParam, limitParam, repeatable } from '../../platform/validation.ts';
import { INSIGHT_KINDS, INSIGHT_SEVERITIES } from './insights.table.ts';

export const ListInsightsQuery = z.strictObject({
  workflowId: z.string().regex(idPattern('wfl'), 'must be a workflow id (wfl_…)').optional(),
  kind: repeatable(z.enum(INSIGHT_KINDS)).optional(),
  severity: repeatable(z.enum(INSIGHT_SEVERITIES)).optional(),
  limit: limitParam,
  cursor: cursorParam.optional(),
});
export type ListInsightsQuery = z.output<typeof ListInsightsQuery>;

export const InsightSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    kind: z.enum(INSIGHT_KINDS),
    severity: z.enum(INSIGHT_SEVERITIES),
    title: z.string(),
    details: z.record(z.string(), z.unknown()).describe('The figures behind the finding (see the insights README)'),
    windowStart: z.iso.datetime().describe('Start of the history the finding was computed from'),
    windowEnd: z.iso.datetime(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Insight' });
export type Insight = z.output<typeof InsightSchema>;

export const InsightListSchema = z
  .object({ data: z.array(InsightSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'InsightList' });
