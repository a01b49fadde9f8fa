import { TRIGGER_NODE_ID } from './graph';
import type { WorkflowDef } from './definition';

/** A validation problem as POST /workflows/validate returns it (docs/workflows.md). */
export interface Problem {
  code: string;
  message: string;
  path: string;
  stepId?: string;
  severity: 'error' | 'warning';
}

export interface NodeProblems {
  errors: number;
  warnings: number;
  list: Problem[];
}

/** Problems that belong to no node: settings, the whole definition. */
export const WORKFLOW_KEY = '__workflow';

/**
 * Which node a problem is shown on: the step it names (`stepId`), else the step its path points
 * into (`steps[3]…`, an edge's `from`), the trigger node for `trigger…`, else the workflow.
 */
export function problemTarget(p: Problem, def: Pick<WorkflowDef, 'steps' | 'edges'>): string {
  const ids = new Set(def.steps.map((s) => s.id));
  if (p.stepId && ids.has(p.stepId)) return p.stepId;
  const step = /^steps\[(\d+)\]/.exec(p.path);
  if (step) {
    const id = def.steps[Number(step[1])]?.id;
    if (id && ids.has(id)) return id;
  }
  const edge = /^edges\[(\d+)\]/.exec(p.path);
  if (edge) {
    const e = def.edges[Number(edge[1])];
    if (e && ids.has(e.from)) return e.from;
    if (e && ids.has(e.to)) return e.to;
  }
  if (p.path === 'trigger' || p.path.startsWith('trigger.') || p.path.startsWith('trigger[')) return TRIGGER_NODE_ID;
  return WORKFLOW_KEY;
}

export function problemsByNode(
  problems: readonly Problem[],
  def: Pick<WorkflowDef, 'steps' | 'edges'>,
): Map<string, NodeProblems> {
  const out = new Map<string, NodeProblems>();
  for (const p of problems) {
    const key = problemTarget(p, def);
    const entry = out.get(key) ?? { errors: 0, warnings: 0, list: [] };
    if (p.severity === 'warning') entry.warnings++;
    else entry.errors++;
    entry.list.push(p);
    out.set(key, entry);
  }
  return out;
}

/** Errors first, then by path, so the panel reads top to bottom. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) => Number(a.severity === 'warning') - Number(b.severity === 'warning') || a.path.localeCompare(b.path),
  );
}

/** `steps[2].config.expression` → `config.expression`: the part inside the node, for the panel. */
export function pathInsideNode(path: string): string {
  return path.replace(/^steps\[\d+\]\.?/, '').replace(/^trigger\.?/, '') || '(the whole)';
}

/**
 * REFERENCE_NOT_UPSTREAM warnings computed here: POST /workflows/validate lists warnings only
 * alongside errors (a valid definition answers `problems: []`), yet a step reading a step that
 * does not lead to it is the mistake an editor most wants to flag. A regex over config strings,
 * so a `steps.x` inside a JSONata string literal is flagged too — rare, and only a warning.
 */
export function referenceWarnings(
  def: Pick<WorkflowDef, 'steps' | 'edges'>,
  upstreamOf: (id: string) => string[],
): Problem[] {
  const ids = new Set(def.steps.map((s) => s.id));
  const out: Problem[] = [];
  def.steps.forEach((step, i) => {
    const up = new Set(upstreamOf(step.id));
    const seen = new Set<string>();
    const walk = (v: unknown, path: string) => {
      if (typeof v === 'string') {
        for (const m of v.matchAll(/\bsteps\s*\.\s*([A-Za-z][A-Za-z0-9_]*)/g)) {
          const ref = m[1] ?? '';
          if (!ids.has(ref) || up.has(ref) || seen.has(ref)) continue;
          seen.add(ref);
          out.push({
            code: 'REFERENCE_NOT_UPSTREAM',
            message: `reads steps.${ref}, which is not upstream of "${step.id}" and may not have run yet: connect ${ref} before it`,
            path,
            stepId: step.id,
            severity: 'warning',
          });
        }
      } else if (Array.isArray(v)) v.forEach((x, j) => walk(x, `${path}[${j}]`));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    };
    walk(step.config, `steps[${i}].config`);
  });
  return out;
}
