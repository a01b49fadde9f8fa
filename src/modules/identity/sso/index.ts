export { createSsoDeps, type SsoDeps } from './sso.deps.ts';
export { publicSsoRoutes, ssoRoutes } from './sso.routes.ts';
