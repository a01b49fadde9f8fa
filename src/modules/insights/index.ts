/** The insights module's surface: the hourly pass, its schedule, the list route and the table. */
export { detectRise, ewma, mad, median, percentile, type Anomaly } from './anomaly.ts';
export { findInsights, INSIGHT_RULES, type InsightDraft, type TenantHistory } from './detect.ts';
export { type Insight } from './insights.dto.ts';
export { INSIGHTS_CRON, INSIGHTS_QUEUE, startInsightsJob } from './insights.job.ts';
export { insightsRoutes } from './insights.routes.ts';
export { type InsightsDeps, listInsights, raiseInsights } from './insights.service.ts';
export { INSIGHT_KINDS, INSIGHT_SEVERITIES, insights, type InsightKind } from './insights.table.ts';
