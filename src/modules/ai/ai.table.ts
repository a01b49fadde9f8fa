import { bigint, date, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/index.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

/**
 * A tenant's own model provider, set by a tenant admin (`PUT /api/v1/ai/provider`). At most one per
 * tenant; with none, calls fall back to the instance provider and then to the offline engine. The
 * API key is stored only sealed with the key ring (AAD `ai-provider:<tenantId>`) and never leaves
 * the server: reads say `hasKey`, nothing more.
 */
export const aiProviders = pgTable('ai_providers', {
  tenantId: text('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  kind: text('kind', { enum: ['openai', 'anthropic', 'ollama', 'openai-compatible'] }).notNull(),
  model: text('model').notNull(),
  /** Null = the kind's default base URL. */
  baseUrl: text('base_url'),
  /** Sealed with the key ring; null = no key (Ollama, some OpenAI-compatible servers). */
  apiKeySealed: text('api_key_sealed'),
  version: integer('version').notNull().default(1),
  updatedBy: text('updated_by').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * Model usage per tenant, UTC day, provider kind and model: one upsert after every model call
 * (offline calls count with zero tokens and cost). Monthly budgets and `GET /api/v1/stats` sum the
 * days of the current month. Cost is computed at record time from the price table in `pricing.ts`,
 * in millionths of a US dollar, so a later price change does not rewrite history.
 */
export const aiUsage = pgTable(
  'ai_usage',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    /** The provider kind that answered: `openai`, `anthropic`, `ollama`, `openai-compatible`, `offline`. */
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    calls: bigint('calls', { mode: 'number' }).notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    costMicrousd: bigint('cost_microusd', { mode: 'number' }).notNull().default(0),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.day, t.provider, t.model] })],
);
