export { APPROVAL_LINK_ROUTES, approvalLinkRoutes } from './approval-links.routes.ts';
export { Engine, RUNS_QUEUE, type RunSummary } from './engine.ts';
export { buildRegistry, createWorkflowRuntime, type WorkflowRuntime } from './runtime.ts';
export { webhookRoutes, workflowsRoutes } from './workflows.routes.ts';
export type { WorkflowsDeps } from './workflows.service.ts';
// For `admin rotate-key` (identity): the sealed columns this module owns, and their AAD.
export { signingKeyAad } from './signing-keys.ts';
export { signingKeys } from './signing-keys.table.ts';
export { webhookSecretAad, workflows } from './workflows.table.ts';
