import type { Edge, Node } from '@xyflow/react';
import { autoLayout } from './layout';
import {
  STEP_ID_PATTERN,
  type EdgeDef,
  type Position,
  type StepDef,
  type TriggerDef,
  type WorkflowDef,
} from './definition';

/**
 * Definition ⇄ React Flow graph. Steps are nodes keyed by step id; the trigger is one more node,
 * joined to every root step by derived edges that are not part of the definition (a definition
 * has no trigger edges: roots simply start first). An edge's `when` rides on the source handle,
 * so a branching node has one handle per branch label.
 */

/** Not a valid step id (it starts with `_`), so it never collides with a step. */
export const TRIGGER_NODE_ID = '__trigger';

export interface StepNodeData extends Record<string, unknown> {
  step: StepDef;
}
export interface TriggerNodeData extends Record<string, unknown> {
  trigger: TriggerDef;
}
export type StepNode = Node<StepNodeData, 'step'>;
export type TriggerNode = Node<TriggerNodeData, 'trigger'>;
export type EditorNode = StepNode | TriggerNode;

export interface FlowEdgeData extends Record<string, unknown> {
  /** A trigger → root edge, drawn for clarity and never saved. */
  derived?: boolean;
}
export type FlowEdge = Edge<FlowEdgeData>;

export const isStepNode = (n: EditorNode): n is StepNode => n.type === 'step';

export function edgeId(e: EdgeDef, n = 0): string {
  return `${e.from}->${e.to}${e.when === undefined ? '' : `:${e.when}`}${n ? `#${n}` : ''}`;
}

/** Trigger → root edges for the current step edges: recomputed after every change. */
export function triggerEdges(stepIds: readonly string[], edges: readonly FlowEdge[]): FlowEdge[] {
  const targets = new Set(edges.filter((e) => !e.data?.derived).map((e) => e.target));
  return stepIds
    .filter((id) => !targets.has(id))
    .map((id) => ({
      id: `${TRIGGER_NODE_ID}->${id}`,
      source: TRIGGER_NODE_ID,
      target: id,
      data: { derived: true },
      deletable: false,
      selectable: false,
      className: 'derived',
    }));
}

export function definitionToGraph(def: WorkflowDef): { nodes: EditorNode[]; edges: FlowEdge[] } {
  const missing = def.steps.some((s) => !def.layout?.steps[s.id]) || !def.layout?.trigger;
  const auto = missing ? autoLayout(def) : undefined;
  const at = (id: string): Position =>
    (id === TRIGGER_NODE_ID ? def.layout?.trigger : def.layout?.steps[id]) ?? auto?.get(id) ?? { x: 0, y: 0 };

  const nodes: EditorNode[] = [
    {
      id: TRIGGER_NODE_ID,
      type: 'trigger',
      position: at(TRIGGER_NODE_ID),
      data: { trigger: def.trigger },
      deletable: false,
    },
    ...def.steps.map((step): StepNode => ({ id: step.id, type: 'step', position: at(step.id), data: { step } })),
  ];
  const seen = new Map<string, number>();
  const edges: FlowEdge[] = def.edges.map((e) => {
    const base = edgeId(e);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return toFlowEdge(e, n);
  });
  return {
    nodes,
    edges: [
      ...edges,
      ...triggerEdges(
        def.steps.map((s) => s.id),
        edges,
      ),
    ],
  };
}

export function toFlowEdge(e: EdgeDef, n = 0): FlowEdge {
  return {
    id: edgeId(e, n),
    source: e.from,
    target: e.to,
    sourceHandle: e.when ?? null,
    ...(e.when === undefined ? {} : { label: e.when }),
    data: {},
  };
}

/** The definition a graph stands for; settings come from `base`, positions are always written. */
export function graphToDefinition(
  nodes: readonly EditorNode[],
  edges: readonly FlowEdge[],
  base: Pick<WorkflowDef, 'settings'> = {},
): WorkflowDef {
  const trigger = nodes.find((n): n is TriggerNode => n.type === 'trigger');
  const steps = nodes.filter(isStepNode);
  const def: WorkflowDef = {
    trigger: trigger?.data.trigger ?? { type: 'manual' },
    steps: steps.map((n) => ({ ...n.data.step, id: n.id })),
    edges: edges
      .filter((e) => !e.data?.derived)
      .map((e) => ({
        from: e.source,
        to: e.target,
        ...(e.sourceHandle ? { when: e.sourceHandle } : {}),
      })),
  };
  if (base.settings) def.settings = base.settings;
  def.layout = {
    ...(trigger ? { trigger: round(trigger.position) } : {}),
    steps: Object.fromEntries(steps.map((n) => [n.id, round(n.position)])),
  };
  return def;
}

// Sub-pixel drags are noise in a version diff.
const round = (p: Position): Position => ({ x: Math.round(p.x), y: Math.round(p.y) });

/** Removes nodes (never the trigger) and every edge touching them. */
export function removeNodes(
  nodes: readonly EditorNode[],
  edges: readonly FlowEdge[],
  ids: ReadonlySet<string>,
): { nodes: EditorNode[]; edges: FlowEdge[] } {
  const gone = new Set([...ids].filter((id) => id !== TRIGGER_NODE_ID));
  const kept = nodes.filter((n) => !gone.has(n.id));
  const keptEdges = edges.filter((e) => !e.data?.derived && !gone.has(e.source) && !gone.has(e.target));
  return { nodes: kept, edges: withTriggerEdges(kept, keptEdges) };
}

/** Step edges plus freshly derived trigger edges. */
export function withTriggerEdges(nodes: readonly EditorNode[], edges: readonly FlowEdge[]): FlowEdge[] {
  const own = edges.filter((e) => !e.data?.derived);
  return [
    ...own,
    ...triggerEdges(
      nodes.filter(isStepNode).map((n) => n.id),
      own,
    ),
  ];
}

/** A fresh, valid step id from the kind's name: `http`, `http_2`, `ai_classify`… */
export function newStepId(type: string, existing: Iterable<string>): string {
  const taken = new Set(existing);
  let stem =
    type
      .replace(/[^a-zA-Z0-9_]+/g, '_')
      .replace(/^[^a-zA-Z]+/, '')
      .slice(0, 56) || 'step';
  if (!STEP_ID_PATTERN.test(stem)) stem = 'step';
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) {
    const id = `${stem}_${i}`;
    if (!taken.has(id)) return id;
  }
}

/**
 * Renames a step: its node, its edges, positions and every `steps.<old>` reference in the
 * configs of the other steps (expressions and templates), plus the webhook's responseStep.
 */
export function renameStep(
  nodes: readonly EditorNode[],
  edges: readonly FlowEdge[],
  from: string,
  to: string,
): { nodes: EditorNode[]; edges: FlowEdge[] } {
  const ref = new RegExp(`(\\bsteps\\s*\\.\\s*)${from}\\b`, 'g');
  const rewrite = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(ref, `$1${to}`);
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrite(x)]));
    return v;
  };
  const nextNodes = nodes.map((n): EditorNode => {
    if (n.type === 'trigger') {
      const cfg = n.data.trigger.config;
      if (cfg?.responseStep !== from) return n;
      return { ...n, data: { trigger: { ...n.data.trigger, config: { ...cfg, responseStep: to } } } };
    }
    const step = { ...n.data.step, config: rewrite(n.data.step.config) };
    if (n.id === from) return { ...n, id: to, data: { step: { ...step, id: to } } };
    return { ...n, data: { step } };
  });
  const nextEdges = edges
    .filter((e) => !e.data?.derived)
    .map((e) => {
      const source = e.source === from ? to : e.source;
      const target = e.target === from ? to : e.target;
      const when = e.sourceHandle ?? undefined;
      return { ...e, ...toFlowEdge({ from: source, to: target, ...(when ? { when } : {}) }) };
    });
  return { nodes: nextNodes, edges: withTriggerEdges(nextNodes, nextEdges) };
}
