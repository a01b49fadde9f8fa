import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../platform/db/database.ts';
import { etag, problems } from '../../platform/http/openapi.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import {
  CreateItemBody,
  IfMatchHeaders,
  ItemIdParams,
  ItemListSchema,
  ItemSchema,
  ListItemsQuery,
  UpdateItemBody,
} from './items.dto.ts';
import { createItem, deleteItem, getItem, listItems, updateItem } from './items.service.ts';

export interface ItemsRoutesDeps {
  db: Database;
}

/** HTTP adapter for items: parse, call the service, map the result. No logic lives here. */
export const itemsRoutes =
  (deps: ItemsRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['items'];

    app.post(
      '/items',
      {
        config: { permission: 'items:write' },
        schema: {
          tags,
          summary: 'Create an item',
          body: CreateItemBody,
          response: { 201: ItemSchema, ...problems(400, 413, 415) },
        },
      },
      async (req, reply) => {
        const item = await createItem(deps.db, getRequestContext(req), req.body);
        return reply
          .status(201)
          .header('etag', etag(item.version))
          .header('location', `/api/v1/items/${item.id}`)
          .send(item);
      },
    );

    app.get(
      '/items',
      {
        config: { permission: 'items:read' },
        schema: {
          tags,
          summary: 'List and search items',
          description:
            'Cursor-paginated. Pass `nextCursor` back as `cursor` with the same filters, sort and `q` to get the next page.',
          querystring: ListItemsQuery,
          response: { 200: ItemListSchema, ...problems(400) },
        },
      },
      async (req) => listItems(deps.db, getRequestContext(req), req.query),
    );

    app.get(
      '/items/:id',
      {
        config: { permission: 'items:read' },
        schema: {
          tags,
          summary: 'Get an item',
          params: ItemIdParams,
          response: { 200: ItemSchema, ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        const item = await getItem(deps.db, getRequestContext(req), req.params.id);
        return reply.header('etag', etag(item.version)).send(item);
      },
    );

    app.patch(
      '/items/:id',
      {
        config: { permission: 'items:write' },
        schema: {
          tags,
          summary: 'Update an item',
          description:
            'Send `If-Match: "<version>"` (412 when stale) or `version` in the body (409 when stale) so a concurrent edit is never silently overwritten.',
          params: ItemIdParams,
          headers: IfMatchHeaders,
          body: UpdateItemBody,
          response: { 200: ItemSchema, ...problems(400, 404, 409, 412, 413, 415) },
        },
      },
      async (req, reply) => {
        const item = await updateItem(deps.db, getRequestContext(req), req.params.id, req.body, {
          ifMatch: req.headers['if-match'],
        });
        return reply.header('etag', etag(item.version)).send(item);
      },
    );

    app.delete(
      '/items/:id',
      {
        config: { permission: 'items:write' },
        schema: {
          tags,
          summary: 'Delete an item',
          params: ItemIdParams,
          headers: IfMatchHeaders,
          response: { 204: z.undefined(), ...problems(400, 404, 412) },
        },
      },
      async (req, reply) => {
        await deleteItem(deps.db, getRequestContext(req), req.params.id, { ifMatch: req.headers['if-match'] });
        return reply.status(204).send();
      },
    );
  };
