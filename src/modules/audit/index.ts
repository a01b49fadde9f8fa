export { auditRoutes } from './audit.routes.ts';
export { type AuditEntry, auditValues, diffChanges, getAuditLog, listAuditLogs, recordAudit } from './audit.service.ts';
export { auditLogs } from './audit.table.ts';
