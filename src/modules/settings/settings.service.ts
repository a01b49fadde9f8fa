import { and, eq, inArray, sql } from 'drizzle-orm';
import type { ActorContext } from '../../platform/context.ts';
import type { Database, Executor } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { type FieldIssue, invalid, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/index.ts';
import { isSettingKey, SETTING_KEYS, SETTINGS, type SettingKey, settingJsonSchema } from './settings.registry.ts';
import { settings } from './settings.table.ts';

export interface SettingView {
  key: SettingKey;
  value: unknown;
  default: unknown;
  isDefault: boolean;
  description: string;
  schema: Record<string, unknown>;
  /** 0 while the default applies; bumped by every write. */
  version: number;
  updatedAt: string | null;
}

interface StoredSetting {
  key: string;
  value: unknown;
  version: number;
  updatedAt: Date;
}

function view(key: SettingKey, stored: StoredSetting | undefined): SettingView {
  const def = SETTINGS[key];
  return {
    key,
    value: stored ? stored.value : def.default,
    default: def.default,
    isDefault: !stored,
    description: def.description,
    schema: settingJsonSchema(key),
    version: stored?.version ?? 0,
    updatedAt: stored?.updatedAt.toISOString() ?? null,
  };
}

function requireKey(key: string): SettingKey {
  if (!isSettingKey(key)) {
    throw notFound('SETTING_UNKNOWN_KEY', `There is no setting named ${JSON.stringify(key)}.`, {
      knownKeys: SETTING_KEYS,
    });
  }
  return key;
}

async function loadStored(db: Executor, tenantId: string, keys?: string[]): Promise<Map<string, StoredSetting>> {
  const where = keys
    ? and(eq(settings.tenantId, tenantId), inArray(settings.key, keys))
    : eq(settings.tenantId, tenantId);
  const rows = await db
    .select({ key: settings.key, value: settings.value, version: settings.version, updatedAt: settings.updatedAt })
    .from(settings)
    .where(where);
  return new Map(rows.map((r) => [r.key, r]));
}

export async function listSettings(db: Database, tenantId: string): Promise<SettingView[]> {
  const stored = await inTenant(db, tenantId, (tx) => loadStored(tx, tenantId));
  return SETTING_KEYS.map((k) => view(k, stored.get(k)));
}

export async function getSetting(db: Database, tenantId: string, key: string): Promise<SettingView> {
  const k = requireKey(key);
  const stored = await inTenant(db, tenantId, (tx) => loadStored(tx, tenantId, [k]));
  return view(k, stored.get(k));
}

/** The effective value of one setting, typed; for other modules (retention jobs, schedules…). */
export async function getSettingValue<K extends SettingKey>(
  db: Executor,
  tenantId: string,
  key: K,
): Promise<(typeof SETTINGS)[K]['default']> {
  const stored = await loadStored(db, tenantId, [key]);
  const s = stored.get(key);
  return (s ? s.value : SETTINGS[key].default) as (typeof SETTINGS)[K]['default'];
}

function validateValue(key: SettingKey, value: unknown, issues: FieldIssue[], pathPrefix: string): unknown {
  const parsed = SETTINGS[key].schema.safeParse(value);
  if (!parsed.success) {
    for (const i of parsed.error.issues) issues.push({ path: pathPrefix, message: i.message });
    return undefined;
  }
  return parsed.data;
}

/**
 * Sets several settings atomically: every value is validated first and a single bad one rejects
 * the whole request, so a partial write never happens.
 */
export async function updateSettings(
  db: Database,
  ctx: ActorContext,
  values: Record<string, unknown>,
  pathPrefix = 'body',
): Promise<SettingView[]> {
  const issues: FieldIssue[] = [];
  const parsed = new Map<SettingKey, unknown>();
  for (const [key, value] of Object.entries(values)) {
    if (!isSettingKey(key)) {
      issues.push({ path: `${pathPrefix}.${key}`, message: 'is not a known setting' });
      continue;
    }
    parsed.set(
      key,
      validateValue(key, value, issues, pathPrefix === 'body.value' ? pathPrefix : `${pathPrefix}.${key}`),
    );
  }
  if (issues.length) throw invalid('SETTING_INVALID_VALUE', 'One or more setting values are invalid.', issues);
  if (parsed.size === 0)
    throw invalid('VALIDATION_FAILED', 'Give at least one setting to change.', [
      { path: pathPrefix, message: 'is empty' },
    ]);

  return inTenant(db, ctx.tenantId, async (tx) => {
    const keys = [...parsed.keys()];
    const before = await loadStored(tx, ctx.tenantId, keys);
    const out: SettingView[] = [];
    for (const [key, value] of parsed) {
      const [row] = await tx
        .insert(settings)
        .values({ tenantId: ctx.tenantId, key, value, updatedBy: `${ctx.actor.type}:${ctx.actor.id}` })
        .onConflictDoUpdate({
          target: [settings.tenantId, settings.key],
          set: {
            value,
            version: sql`${settings.version} + 1`,
            updatedAt: sql`now()`,
            updatedBy: `${ctx.actor.type}:${ctx.actor.id}`,
          },
        })
        .returning({
          key: settings.key,
          value: settings.value,
          version: settings.version,
          updatedAt: settings.updatedAt,
        });
      const prev = before.get(key);
      await recordAudit(tx, ctx, {
        action: 'setting.updated',
        targetType: 'setting',
        targetId: key,
        before: { value: prev ? prev.value : SETTINGS[key].default, isDefault: !prev },
        after: { value, isDefault: false },
      });
      out.push(view(key, row));
    }
    return out;
  });
}

export async function putSetting(db: Database, ctx: ActorContext, key: string, value: unknown): Promise<SettingView> {
  const k = requireKey(key);
  const [result] = await updateSettings(db, ctx, { [k]: value }, 'body.value');
  if (!result) throw new Error('update returned nothing');
  return result;
}

/** Removes the tenant's value so the default applies again. Idempotent. */
export async function resetSetting(db: Database, ctx: ActorContext, key: string): Promise<SettingView> {
  const k = requireKey(key);
  return inTenant(db, ctx.tenantId, async (tx) => {
    const removed = await tx
      .delete(settings)
      .where(and(eq(settings.tenantId, ctx.tenantId), eq(settings.key, k)))
      .returning({ value: settings.value });
    const prev = removed[0];
    if (prev) {
      await recordAudit(tx, ctx, {
        action: 'setting.reset',
        targetType: 'setting',
        targetId: k,
        before: { value: prev.value, isDefault: false },
        after: { value: SETTINGS[k].default, isDefault: true },
      });
    }
    return view(k, undefined);
  });
}
