import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../platform/db/database.ts';
import { problems } from '../../platform/http/openapi.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import { boundedJson } from '../../platform/validation.ts';
import { getSetting, listSettings, putSetting, resetSetting, updateSettings } from './settings.service.ts';

const SettingSchema = z
  .object({
    key: z.string(),
    value: z.unknown(),
    default: z.unknown(),
    isDefault: z.boolean(),
    description: z.string(),
    schema: z.record(z.string(), z.unknown()).describe('JSON Schema of the value'),
    version: z.number().int(),
    updatedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Setting' });

const KeyParams = z.strictObject({
  key: z
    .string()
    .max(100)
    .regex(/^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)+$/, 'is not a setting key such as general.timezone'),
});

// Values are validated per key by the service, against the registry; the envelope is bounded here.
const settingValue = boundedJson({ maxBytes: 8 * 1024, maxDepth: 8 });
const PutBody = z.strictObject({ value: settingValue });
const PatchBody = z
  .record(z.string().max(100), settingValue)
  .refine((v) => Object.keys(v).length <= 50, 'at most 50 settings at once')
  .describe('Map of setting key to new value; all are applied or none');

export const settingsRoutes =
  (deps: { db: Database }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['settings'];
    app.get(
      '/settings',
      {
        config: { permission: 'settings:read' },
        schema: {
          tags,
          summary: 'List every setting with its effective value',
          response: { 200: z.object({ data: z.array(SettingSchema) }) },
        },
      },
      async (req) => ({ data: await listSettings(deps.db, getRequestContext(req).tenantId) }),
    );
    app.patch(
      '/settings',
      {
        config: { permission: 'settings:write' },
        schema: {
          tags,
          summary: 'Change several settings atomically',
          body: PatchBody,
          response: { 200: z.object({ data: z.array(SettingSchema) }), ...problems(400, 413, 415) },
        },
      },
      async (req) => ({ data: await updateSettings(deps.db, getRequestContext(req), req.body) }),
    );
    app.get(
      '/settings/:key',
      {
        config: { permission: 'settings:read' },
        schema: {
          tags,
          summary: 'Get one setting',
          params: KeyParams,
          response: { 200: SettingSchema, ...problems(400, 404) },
        },
      },
      async (req) => getSetting(deps.db, getRequestContext(req).tenantId, req.params.key),
    );
    app.put(
      '/settings/:key',
      {
        config: { permission: 'settings:write' },
        schema: {
          tags,
          summary: 'Set one setting',
          params: KeyParams,
          body: PutBody,
          response: { 200: SettingSchema, ...problems(400, 404, 413, 415) },
        },
      },
      async (req) => putSetting(deps.db, getRequestContext(req), req.params.key, req.body.value),
    );
    app.delete(
      '/settings/:key',
      {
        config: { permission: 'settings:write' },
        schema: {
          tags,
          summary: 'Reset one setting to its default',
          params: KeyParams,
          response: { 200: SettingSchema, ...problems(400, 404) },
        },
      },
      async (req) => resetSetting(deps.db, getRequestContext(req), req.params.key),
    );
  };
