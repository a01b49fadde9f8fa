export { BOOTSTRAP_TENANT_ID, createTenant, getTenant } from './tenants.service.ts';
export { tenants } from './tenants.table.ts';
