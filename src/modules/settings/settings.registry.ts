import { z } from 'zod';
import { safeText } from '../../platform/validation.ts';

const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const isLocale = (tag: string) => {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
};

const retentionDays = z.number().int().min(1).max(3650);

interface SettingDefinition<T> {
  schema: z.ZodType<T>;
  default: T;
  description: string;
}

const define = <T>(d: SettingDefinition<T>) => d;

/**
 * Every tenant setting, with its type, bounds and default. A key not listed here does not exist:
 * reads 404, writes 400. Adding a key is a code change, reviewed like any other; renaming one
 * needs a migration of stored values.
 */
export const SETTINGS = {
  'general.displayName': define({
    schema: safeText({ min: 1, max: 100 }),
    default: 'My workspace',
    description: 'Name shown for this workspace in the dashboard and in emails',
  }),
  'general.timezone': define({
    schema: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris'),
    default: 'UTC',
    description: 'Time zone for schedules, reports and dates in emails',
  }),
  'general.locale': define({
    schema: z.string().max(35).refine(isLocale, 'must be a BCP 47 language tag such as en-GB'),
    default: 'en',
    description: 'Language and formatting of dates and numbers',
  }),
  'general.weekStartsOn': define({
    schema: z.enum(['monday', 'sunday', 'saturday']),
    default: 'monday',
    description: 'First day of the week in calendars and weekly reports',
  }),
  'retention.auditLogDays': define({
    schema: retentionDays,
    default: 365,
    description: 'Days audit log entries are kept before the cleanup job removes them',
  }),
  'retention.runDays': define({
    schema: retentionDays,
    default: 30,
    description: 'Days finished workflow runs are kept',
  }),
  'retention.jobDays': define({
    schema: retentionDays,
    default: 30,
    description: 'Days finished jobs are kept',
  }),
  'ai.monthlyTokenLimit': define<number | null>({
    schema: z.number().int().min(0).max(1e15).nullable(),
    default: null,
    description:
      'AI tokens (input + output) this workspace may use per calendar month (UTC); null: no limit. Calls past it fail with AI_BUDGET_EXCEEDED',
  }),
  'ai.monthlyCostLimitUsd': define<number | null>({
    schema: z.number().min(0).max(1e9).nullable(),
    default: null,
    description:
      'AI spend in US dollars per calendar month (UTC), at list prices; null: no limit. Models without a listed price count as 0',
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = (typeof SETTINGS)[K]['default'] extends infer D
  ? D extends string
    ? string
    : D extends number
      ? number
      : D
  : never;

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
export const isSettingKey = (k: string): k is SettingKey => Object.hasOwn(SETTINGS, k);

/** JSON Schema of each value, for the API and the dashboard's generated forms. */
export function settingJsonSchema(key: SettingKey): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(SETTINGS[key].schema, {
    unrepresentable: 'any',
    io: 'input',
  });
  return schema;
}
