import { z } from 'zod';
import { idPattern } from '../../platform/ids.ts';
import { boundedJsonObject, cursorParam, limitParam, repeatable, safeText } from '../../platform/validation.ts';
import { ITEM_STATUSES } from './items.table.ts';

/** Input bounds, in one place so docs and tests can quote them. */
export const ITEM_LIMITS = {
  nameMax: 200,
  descriptionMax: 10_000,
  tagsMax: 20,
  tagMax: 50,
  metadataMaxBytes: 16 * 1024,
  metadataMaxDepth: 8,
  queryMax: 200,
} as const;

const tag = safeText({ min: 1, max: ITEM_LIMITS.tagMax })
  .refine((t) => !/[\p{Cc},]/u.test(t), 'must not contain commas or control characters')
  .transform((t) => t.toLowerCase());

const tags = z
  .array(tag)
  .max(ITEM_LIMITS.tagsMax)
  .transform((list) => [...new Set(list)]);

const status = z.enum(ITEM_STATUSES);
const metadata = boundedJsonObject({ maxBytes: ITEM_LIMITS.metadataMaxBytes, maxDepth: ITEM_LIMITS.metadataMaxDepth });

export const ItemSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    status,
    tags: z.array(z.string()),
    metadata: z.record(z.string(), z.unknown()),
    version: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Item' });
export type Item = z.output<typeof ItemSchema>;

export const CreateItemBody = z
  .strictObject({
    name: safeText({ min: 1, max: ITEM_LIMITS.nameMax }),
    description: safeText({ max: ITEM_LIMITS.descriptionMax }).default(''),
    status: status.default('active'),
    tags: tags.default([]),
    metadata: metadata.default({}),
  })
  .meta({ id: 'CreateItem' });
export type CreateItemInput = z.output<typeof CreateItemBody>;

export const UpdateItemBody = z
  .strictObject({
    name: safeText({ min: 1, max: ITEM_LIMITS.nameMax }).optional(),
    description: safeText({ max: ITEM_LIMITS.descriptionMax }).optional(),
    status: status.optional(),
    tags: tags.optional(),
    metadata: metadata.optional().describe('Replaces the whole metadata object'),
    version: z.number().int().min(1).optional().describe('Expected current version (alternative to If-Match)'),
  })
  .refine((b) => Object.keys(b).some((k) => k !== 'version'), 'must change at least one field')
  .meta({ id: 'UpdateItem' });
export type UpdateItemInput = z.output<typeof UpdateItemBody>;

export const ItemIdParams = z.strictObject({
  id: z.string().regex(idPattern('itm'), 'is not an item id (itm_…)'),
});

export const ITEM_SORTS = ['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'name', '-name', 'relevance'] as const;
export type ItemSort = (typeof ITEM_SORTS)[number];

export const ListItemsQuery = z.strictObject({
  limit: limitParam,
  cursor: cursorParam.optional(),
  status: repeatable(status).optional(),
  tag: repeatable(tag).optional().describe('Items carrying every given tag'),
  q: safeText({ min: 1, max: ITEM_LIMITS.queryMax })
    .optional()
    .describe('Search: full-text over name and description, plus typo-tolerant trigram match on name'),
  sort: z
    .enum(ITEM_SORTS)
    .optional()
    .describe('Field to sort by, `-` for descending. Default: `relevance` with `q`, else `-createdAt`'),
});
export type ListItemsQuery = z.output<typeof ListItemsQuery>;

export const ItemListSchema = z
  .object({ data: z.array(ItemSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ItemList' });

export const IfMatchHeaders = z.looseObject({
  'if-match': z.string().max(100).optional().describe('The ETag of the version you edited, e.g. "3"'),
});
