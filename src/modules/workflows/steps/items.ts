import { z } from 'zod';
import type { Database } from '../../../platform/db/database.ts';
import { idPattern } from '../../../platform/ids.ts';
import { createItem, getItem, listItems, updateItem } from '../../items/index.ts';
import { CreateItemBody, ListItemsQuery, UpdateItemBody } from '../../items/items.dto.ts';
import { defineStepKind, runActor, StepPermanentError } from './step-kind.ts';

const itemId = z.string().min(1).max(200);
const Config = z.discriminatedUnion('action', [
  z.object({ action: z.literal('create'), item: z.unknown() }).strict(),
  z.object({ action: z.literal('get'), id: itemId }).strict(),
  z.object({ action: z.literal('update'), id: itemId, changes: z.unknown() }).strict(),
  z.object({ action: z.literal('query'), query: z.record(z.string(), z.unknown()).default({}) }).strict(),
]);

/**
 * Creates, reads, updates or searches the tenant's items, as the run (audited as
 * `system:run:<id>`), with the API's own validation and row-level security. Values may hold
 * templates.
 */
export const itemsStep = defineStepKind({
  type: 'items',
  description: 'Create, get, update or query items.',
  config: Config,
  pure: false,
  async execute(config, ctx) {
    const db = ctx.services.db as Database | undefined;
    if (!db) throw new StepPermanentError('Items are not available here.', 'STEP_UNAVAILABLE');
    const actor = runActor(ctx);
    const bad = (what: string, error: z.ZodError) =>
      new StepPermanentError(
        `Invalid ${what}: ${error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
        'ITEMS_INVALID_INPUT',
      );
    try {
      switch (config.action) {
        case 'create': {
          const parsed = CreateItemBody.safeParse(await ctx.render(config.item));
          if (!parsed.success) throw bad('item', parsed.error);
          return { kind: 'done', output: await createItem(db, actor, parsed.data) };
        }
        case 'get': {
          const id = String(await ctx.render(config.id));
          if (!idPattern('itm').test(id))
            throw new StepPermanentError(`Not an item id: ${id.slice(0, 100)}`, 'ITEMS_INVALID_INPUT');
          return { kind: 'done', output: await getItem(db, actor, id) };
        }
        case 'update': {
          const id = String(await ctx.render(config.id));
          if (!idPattern('itm').test(id))
            throw new StepPermanentError(`Not an item id: ${id.slice(0, 100)}`, 'ITEMS_INVALID_INPUT');
          const parsed = UpdateItemBody.safeParse(await ctx.render(config.changes));
          if (!parsed.success) throw bad('changes', parsed.error);
          return { kind: 'done', output: await updateItem(db, actor, id, parsed.data, {}) };
        }
        case 'query': {
          const parsed = ListItemsQuery.safeParse(await ctx.render(config.query));
          if (!parsed.success) throw bad('query', parsed.error);
          return { kind: 'done', output: await listItems(db, actor, parsed.data) };
        }
      }
    } catch (err) {
      const e = err as { code?: string; kind?: string; message?: string };
      // The items service's own refusals (not found, conflict, quota) will not change on retry.
      if (e.kind && e.kind !== 'internal' && e.kind !== 'unavailable' && e.code) {
        throw new StepPermanentError(e.message ?? e.code, e.code);
      }
      throw err;
    }
  },
});
