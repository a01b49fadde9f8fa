export { tenants } from './tenants.table.ts';
export {
  BOOTSTRAP_TENANT_ID,
  createTenant,
  getTenant,
  listAllTenants,
  renameTenant,
  setTenantStatus,
  softDeleteTenant,
  type Tenant,
  type TenantSummary,
} from './tenants.service.ts';
