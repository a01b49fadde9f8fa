/**
 * The workflow definition as the editor handles it (docs/workflows.md). The server's zod schemas
 * are the authority; these types only describe what the editor reads and writes, so unknown
 * members of a step (retry, timeoutMs…) are carried through untouched.
 */

export type TriggerType = 'manual' | 'webhook' | 'schedule' | 'event';

export interface TriggerDef {
  type: TriggerType;
  config?: Record<string, unknown>;
}

export interface StepDef {
  id: string;
  type: string;
  name?: string;
  config?: unknown;
  retry?: Record<string, unknown>;
  timeoutMs?: number;
  disabled?: boolean;
}

export interface EdgeDef {
  from: string;
  to: string;
  when?: string;
}

export interface Position {
  x: number;
  y: number;
}

export interface LayoutDef {
  trigger?: Position;
  steps: Record<string, Position>;
}

export interface WorkflowDef {
  trigger: TriggerDef;
  steps: StepDef[];
  edges: EdgeDef[];
  settings?: Record<string, unknown>;
  layout?: LayoutDef;
}

/** The server's step id rule (src/modules/workflows/definition.ts STEP_ID_PATTERN). */
export const STEP_ID_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/;

/** A step kind as GET /api/v1/step-kinds describes it. */
export interface StepKind {
  type: string;
  description: string;
  pure: boolean;
  branches: boolean;
  configSchema: JsonSchema;
}

/** The subset of JSON Schema (draft 2020-12, as zod emits it) the editor understands. */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a stored definition defensively: the editor must open even a definition it half understands. */
export function readDefinition(value: unknown): WorkflowDef {
  const d = isRecord(value) ? value : {};
  const trigger = isRecord(d.trigger) ? d.trigger : {};
  const type = (['manual', 'webhook', 'schedule', 'event'] as const).find((t) => t === trigger.type) ?? 'manual';
  const out: WorkflowDef = {
    trigger: { type, ...(isRecord(trigger.config) ? { config: trigger.config } : {}) },
    steps: Array.isArray(d.steps) ? (d.steps.filter(isRecord) as unknown as StepDef[]) : [],
    edges: Array.isArray(d.edges) ? (d.edges.filter(isRecord) as unknown as EdgeDef[]) : [],
  };
  if (isRecord(d.settings)) out.settings = d.settings;
  if (isRecord(d.layout)) out.layout = d.layout as unknown as LayoutDef;
  return out;
}
