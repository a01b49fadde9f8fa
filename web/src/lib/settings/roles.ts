// Who may do what, as the dashboard needs it to hide buttons and to offer only the roles and
// scopes someone may hand out. It mirrors src/platform/permissions.ts (the server's one matrix,
// which stays the real guard: a stale copy here only shows a button the server then refuses).

export const ROLES = ['viewer', 'editor', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

const VIEWER = [
  'items:read',
  'settings:read',
  'audit:read',
  'stats:read',
  'members:read',
  'workflows:read',
  'runs:read',
  'jobs:read',
] as const;
const EDITOR = [...VIEWER, 'items:write', 'workflows:write', 'runs:write', 'jobs:write', 'ai:use'] as const;
const ADMIN = [
  ...EDITOR,
  'settings:write',
  'members:write',
  'invitations:manage',
  'api_keys:manage',
  'organization:write',
  'sso:manage',
  'ai:manage',
] as const;
const OWNER = [...ADMIN, 'organization:delete'] as const;

export type Scope = (typeof OWNER)[number];

const ROLE_SCOPES: Record<Role, readonly Scope[]> = { viewer: VIEWER, editor: EDITOR, admin: ADMIN, owner: OWNER };

export const isRole = (v: string): v is Role => (ROLES as readonly string[]).includes(v);

/** The scopes a role holds, which is what an API key it creates may carry. */
export function scopesFor(role: Role): readonly Scope[] {
  return ROLE_SCOPES[role];
}

/** Roles someone may give (to an invitation or a member): never above their own, owner only by an owner. */
export function assignableRoles(mine: Role): Role[] {
  if (RANK[mine] < RANK.admin) return [];
  return ROLES.filter((r) => RANK[r] <= RANK[mine]);
}

/**
 * Whether `mine` may change the role of a member who has `theirs`: admins manage everyone but
 * owners; owners manage everyone. The last-owner rule is the server's (409 MEMBER_LAST_OWNER).
 */
export function canManageMember(mine: Role, theirs: Role): boolean {
  if (mine === 'owner') return true;
  return mine === 'admin' && theirs !== 'owner';
}

/** Scopes grouped by what they act on ("items", "runs"…), in matrix order, for a checkbox grid. */
export function groupScopes(scopes: readonly string[]): { group: string; scopes: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const s of scopes) {
    const group = s.split(':')[0] ?? s;
    groups.set(group, [...(groups.get(group) ?? []), s]);
  }
  return [...groups].map(([group, list]) => ({ group, scopes: list }));
}

/** The read-only subset of some scopes: a sensible default for a new key. */
export const readScopes = (scopes: readonly string[]): string[] => scopes.filter((s) => s.endsWith(':read'));

/** The badge colour of a role, the same on every settings page. */
export const roleTone = (role: string): 'violet' | 'blue' | 'gray' =>
  role === 'owner' ? 'violet' : role === 'admin' ? 'blue' : 'gray';
