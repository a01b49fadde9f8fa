export { auditRoutes } from './audit.routes.ts';
export { type AuditEntry, diffChanges, getAuditLog, listAuditLogs, recordAudit } from './audit.service.ts';
export { auditLogs } from './audit.table.ts';
