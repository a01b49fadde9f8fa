export { apiKeys, memberships, refreshTokens, sessions, users } from './identity.table.ts';
export { deriveTokenKeys, TOKEN_KEY_INFO, tokenKeysFrom, type TokenKeys } from './access-tokens.ts';
export { authenticate } from './authenticate.ts';
export type { AuthDeps } from './auth.service.ts';
export { authRoutes, publicAuthRoutes } from './identity.routes.ts';
export { createAuthCache, type AuthCache } from './auth-cache.ts';
export { accountRoutes, publicAccountRoutes } from './account.routes.ts';
export { organizationRoutes } from './organization.routes.ts';
