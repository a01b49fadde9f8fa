import type { Role } from './context.ts';

/**
 * Every permission a route can require, and which roles hold it: the one place that says who may
 * do what. Routes declare the permission they need (`config: { permission: 'items:write' }`);
 * API keys carry a subset as scopes. Add a permission here before any route uses it.
 */
export const PERMISSIONS = [
  'items:read',
  'items:write',
  'settings:read',
  'settings:write',
  'audit:read',
  'stats:read',
  'members:read',
  'members:write',
  'invitations:manage',
  'api_keys:manage',
  'organization:write',
  'organization:delete',
  'sso:manage',
  'workflows:read',
  'workflows:write',
  'runs:read',
  'runs:write',
  'jobs:read',
  'jobs:write',
  'ai:use',
  'ai:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const VIEWER: readonly Permission[] = [
  'items:read',
  'settings:read',
  'audit:read',
  'stats:read',
  'members:read',
  'workflows:read',
  'runs:read',
  'jobs:read',
];
/**
 * Editors build and run automations: write workflows, start, cancel and retry runs and jobs, and
 * use the AI operations (which spend the tenant's AI budget, so viewers may not).
 */
const EDITOR: readonly Permission[] = [
  ...VIEWER,
  'items:write',
  'workflows:write',
  'runs:write',
  'jobs:write',
  'ai:use',
];
const ADMIN: readonly Permission[] = [
  ...EDITOR,
  'settings:write',
  'members:write',
  'invitations:manage',
  'api_keys:manage',
  'organization:write',
  'sso:manage',
  'ai:manage',
];
const OWNER: readonly Permission[] = [...ADMIN, 'organization:delete'];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(VIEWER),
  editor: new Set(EDITOR),
  admin: new Set(ADMIN),
  owner: new Set(OWNER),
};

export const isPermission = (p: string): p is Permission => (PERMISSIONS as readonly string[]).includes(p);

/**
 * Whether an actor may use a permission: its role must hold it, and an API key must also carry
 * it as a scope (a key never exceeds the role of whoever created it).
 */
export function hasPermission(
  actor: { role?: Role | undefined; scopes?: readonly string[] | undefined; isApiKey: boolean },
  permission: Permission,
): boolean {
  if (!actor.role || !ROLE_PERMISSIONS[actor.role].has(permission)) return false;
  return actor.isApiKey ? (actor.scopes?.includes(permission) ?? false) : true;
}
