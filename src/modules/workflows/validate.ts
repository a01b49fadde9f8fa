import type { z } from 'zod';
import {
  EdgeSchema,
  LayoutSchema,
  STEP_ID_PATTERN,
  StepDefinitionSchema,
  TriggerDefinitionSchema,
  WORKFLOW_LIMITS,
  WorkflowDefinitionSchema,
  WorkflowSettingsSchema,
  type Edge,
  type StepDefinition,
  type TriggerDefinition,
  type WorkflowDefinition,
  type WorkflowSettings,
} from './definition.ts';
import {
  ExpressionError,
  expressionFieldPaths,
  expressionProblem,
  parseTemplates,
  stepReferences,
} from './expressions.ts';
import { findCycles } from './graph.ts';
import type { AnyStepKind, StepRegistry } from './steps/registry.ts';

/**
 * Full validation of a workflow definition against the step kinds of a registry. Collects every
 * problem rather than stopping at the first, so an editor can show them all: each part (trigger,
 * each step, each edge, settings) is checked on its own, and the graph checks run over the parts
 * that were readable. The early stops: a definition over the size limit, or with more steps or
 * edges than allowed, is not examined further.
 */

export type ProblemSeverity = 'error' | 'warning';

export interface Problem {
  code: ProblemCode;
  message: string;
  /** Where, as a JS-like path into the definition: `steps[2].config.expression`; '' is the whole. */
  path: string;
  /** The step the problem belongs to, when there is one. */
  stepId?: string;
  /** Warnings do not make a definition invalid. */
  severity: ProblemSeverity;
}

export type ValidationResult =
  { ok: true; definition: WorkflowDefinition; warnings: Problem[] } | { ok: false; problems: Problem[] };

/** Every problem code, with what it means (docs/workflows.md lists the same). */
/** "7 d", "5 min", "90 s": a duration in the unit people would say. */
function humanMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * The run timeout counts waits (docs/workflows.md): an approval that may be decided after the run
 * timed out, or a delay longer than the timeout, would fail the run with RUN_TIMEOUT. Said as a
 * warning on the step, since a short timeout can be intended.
 */
function warnWaitsPastTimeout(definition: WorkflowDefinition, problems: Problems): void {
  const timeoutMs = definition.settings.timeoutMs;
  definition.steps.forEach((step, i) => {
    const config = (step.config ?? {}) as { expiresInMs?: unknown; ms?: unknown };
    let waitMs: number | undefined;
    let field: string | undefined;
    if (step.type === 'approval') {
      waitMs = typeof config.expiresInMs === 'number' ? config.expiresInMs : 7 * 86_400_000;
      field = 'expiresInMs';
    } else if (step.type === 'delay' && typeof config.ms === 'number') {
      waitMs = config.ms;
      field = 'ms';
    }
    if (waitMs === undefined || field === undefined || waitMs <= timeoutMs) return;
    const what =
      step.type === 'approval'
        ? `the approval may be decided up to ${humanMs(waitMs)} after it starts`
        : `the delay waits ${humanMs(waitMs)}`;
    problems.add(
      'RUN_TIMEOUT_BEFORE_WAIT',
      ['steps', i, 'config', field],
      `${what}, but the run times out ${humanMs(timeoutMs)} after it starts (settings.timeoutMs, waits included) ` +
        'and fails with RUN_TIMEOUT: raise settings.timeoutMs (up to 30 d)',
      step.id,
      'warning',
    );
  });
}

export const PROBLEM_CODES = {
  DEFINITION_TOO_LARGE: 'The definition is larger than 512 KB as JSON (nothing else is checked).',
  SCHEMA_INVALID: 'A field is missing, unknown, of the wrong type or out of bounds.',
  UNKNOWN_STEP_TYPE: 'No step kind of that type is registered.',
  STEP_CONFIG_INVALID: "A step's config does not match its kind's schema.",
  DUPLICATE_STEP_ID: 'Two steps have the same id.',
  EDGE_UNKNOWN_STEP: 'An edge names a step that does not exist.',
  EDGE_SELF_LOOP: 'An edge goes from a step to itself.',
  DUPLICATE_EDGE: 'The same edge (from, to, when) appears twice.',
  CYCLE: 'Edges form a cycle; the message names its steps.',
  EDGE_WHEN_NOT_BRANCHING: 'An edge has `when` but its source step kind does not branch.',
  EDGE_WHEN_UNKNOWN_BRANCH: "An edge's `when` is not a branch its source step can take.",
  RESPONSE_STEP_REQUIRED: 'A webhook trigger with respond "wait" has no responseStep.',
  RESPONSE_STEP_UNKNOWN: "The webhook trigger's responseStep is not a step of the workflow.",
  EXPRESSION_SYNTAX: 'A JSONata expression or `{{ }}` template does not parse.',
  REFERENCE_UNKNOWN_STEP: 'An expression reads `steps.<id>` for a step that does not exist.',
  REFERENCE_NOT_UPSTREAM: 'Warning: an expression reads a step that is not upstream, so it may not have run yet.',
  RUN_TIMEOUT_BEFORE_WAIT:
    'Warning: a step may wait (approval, delay) longer than settings.timeoutMs, which counts waits: the run would time out first.',
  CRON_INVALID: 'The schedule is not a cron pattern croner accepts, or never fires.',
  TIMEZONE_INVALID: 'The schedule time zone is not a known IANA name.',
} as const;
export type ProblemCode = keyof typeof PROBLEM_CODES;

const isProblemCode = (c: unknown): c is ProblemCode => typeof c === 'string' && Object.hasOwn(PROBLEM_CODES, c);

type PathKey = PropertyKey;

/** `['steps', 2, 'config', 'a b']` → `steps[2].config["a b"]`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Problems {
  readonly list: Problem[] = [];

  add(code: ProblemCode, path: readonly PathKey[], message: string, stepId?: string, severity?: ProblemSeverity) {
    const p: Problem = { code, message, path: formatPath(path), severity: severity ?? 'error' };
    if (stepId !== undefined) p.stepId = stepId;
    this.list.push(p);
  }

  /** Zod issues under `prefix`; a custom issue may name its code in `params.code`. */
  addIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PathKey[], fallback: ProblemCode, stepId?: string) {
    for (const issue of issues) {
      const custom = issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
      const code = isProblemCode(custom) ? custom : fallback;
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.add(code, [...prefix, ...issue.path, key], `unknown key "${key}"`, stepId);
      } else {
        this.add(code, [...prefix, ...issue.path], issue.message, stepId);
      }
    }
  }

  get hasErrors(): boolean {
    return this.list.some((p) => p.severity === 'error');
  }
}

interface ParsedStep {
  index: number;
  step: StepDefinition;
  kind?: AnyStepKind;
  /** The config as the kind parsed it, when it did. */
  config?: unknown;
  configOk: boolean;
}

/** Every string in a JSON value with its path, depth-bounded. */
function* strings(value: unknown, path: PathKey[], depth = 0): Generator<[string, PathKey[]]> {
  if (typeof value === 'string') yield [value, path];
  else if (depth > WORKFLOW_LIMITS.configMaxDepth + 1) return;
  else if (Array.isArray(value))
    for (let i = 0; i < value.length; i++) yield* strings(value[i], [...path, i], depth + 1);
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) yield* strings(v, [...path, k], depth + 1);
}

export function validateDefinition(input: unknown, registry: StepRegistry): ValidationResult {
  const problems = new Problems();
  const fail = (): ValidationResult => ({ ok: false, problems: problems.list });

  // Size first: nothing over the limit is examined further.
  let json: string | undefined;
  try {
    json = JSON.stringify(input);
  } catch {
    json = undefined;
  }
  if (json === undefined) {
    problems.add('SCHEMA_INVALID', [], 'must be a JSON object');
    return fail();
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > WORKFLOW_LIMITS.maxDefinitionBytes) {
    problems.add(
      'DEFINITION_TOO_LARGE',
      [],
      `is ${bytes} bytes as JSON; the limit is ${WORKFLOW_LIMITS.maxDefinitionBytes}`,
    );
    return fail();
  }
  if (!isRecord(input)) {
    problems.add('SCHEMA_INVALID', [], 'must be a JSON object');
    return fail();
  }

  // ---- Shape, part by part
  for (const key of Object.keys(input)) {
    if (!['trigger', 'steps', 'edges', 'settings', 'layout'].includes(key)) {
      problems.add('SCHEMA_INVALID', [key], `unknown key "${key}"`);
    }
  }

  let trigger: TriggerDefinition | undefined;
  if (input.trigger === undefined) problems.add('SCHEMA_INVALID', ['trigger'], 'is required');
  else {
    const r = TriggerDefinitionSchema.safeParse(input.trigger);
    if (r.success) trigger = r.data;
    else problems.addIssues(r.error.issues, ['trigger'], 'SCHEMA_INVALID');
  }

  let settings: WorkflowSettings | undefined;
  {
    const r = WorkflowSettingsSchema.safeParse(input.settings);
    if (r.success) settings = r.data;
    else problems.addIssues(r.error.issues, ['settings'], 'SCHEMA_INVALID');
  }

  if (input.layout !== undefined) {
    const r = LayoutSchema.safeParse(input.layout);
    if (!r.success) problems.addIssues(r.error.issues, ['layout'], 'SCHEMA_INVALID');
  }

  const rawSteps: unknown[] = Array.isArray(input.steps) ? input.steps : [];
  if (!Array.isArray(input.steps)) {
    problems.add('SCHEMA_INVALID', ['steps'], input.steps === undefined ? 'is required' : 'must be an array');
  } else if (rawSteps.length === 0) {
    problems.add('SCHEMA_INVALID', ['steps'], 'must hold at least one step');
  } else if (rawSteps.length > WORKFLOW_LIMITS.maxSteps) {
    problems.add('SCHEMA_INVALID', ['steps'], `must hold at most ${WORKFLOW_LIMITS.maxSteps} steps`);
  }
  const rawEdges: unknown[] = Array.isArray(input.edges) ? input.edges : [];
  if (input.edges !== undefined && !Array.isArray(input.edges)) {
    problems.add('SCHEMA_INVALID', ['edges'], 'must be an array');
  } else if (rawEdges.length > WORKFLOW_LIMITS.maxEdges) {
    problems.add('SCHEMA_INVALID', ['edges'], `must hold at most ${WORKFLOW_LIMITS.maxEdges} edges`);
  }
  // Over the count bounds, the per-element and graph checks below are not worth their cost: stop.
  if (rawSteps.length > WORKFLOW_LIMITS.maxSteps || rawEdges.length > WORKFLOW_LIMITS.maxEdges) return fail();

  // Step ids are read even from steps that fail their schema, so edges to them are not "unknown".
  const idIndex = new Map<string, number>();
  rawSteps.forEach((raw, i) => {
    const id = isRecord(raw) ? raw.id : undefined;
    if (typeof id !== 'string' || !STEP_ID_PATTERN.test(id)) return;
    if (idIndex.has(id)) {
      problems.add(
        'DUPLICATE_STEP_ID',
        ['steps', i, 'id'],
        `step id "${id}" is already used by steps[${idIndex.get(id)}]`,
        id,
      );
    } else idIndex.set(id, i);
  });
  const stepIdAt = (i: number): string | undefined => {
    const raw = rawSteps[i];
    return isRecord(raw) && typeof raw.id === 'string' ? raw.id : undefined;
  };

  const parsedSteps = new Map<string, ParsedStep>();
  rawSteps.forEach((raw, i) => {
    const r = StepDefinitionSchema.safeParse(raw);
    if (!r.success) {
      problems.addIssues(r.error.issues, ['steps', i], 'SCHEMA_INVALID', stepIdAt(i));
      return;
    }
    const step = r.data;
    const entry: ParsedStep = { index: i, step, configOk: false };
    if (idIndex.get(step.id) === i) parsedSteps.set(step.id, entry);
    const kind = registry.get(step.type);
    if (!kind) {
      problems.add(
        'UNKNOWN_STEP_TYPE',
        ['steps', i, 'type'],
        `unknown step type "${step.type}" (known: ${registry.types().join(', ')})`,
        step.id,
      );
      return;
    }
    entry.kind = kind;
    try {
      const c = kind.config.safeParse(step.config);
      if (c.success) {
        entry.config = c.data;
        entry.configOk = true;
      } else problems.addIssues(c.error.issues, ['steps', i, 'config'], 'STEP_CONFIG_INVALID', step.id);
    } catch (err) {
      problems.add(
        'STEP_CONFIG_INVALID',
        ['steps', i, 'config'],
        `could not be checked: ${err instanceof Error ? err.message : String(err)}`,
        step.id,
      );
    }
    const retry = settings?.retry;
    if (step.retry && retry) {
      const backoff = step.retry.backoffMs ?? retry.backoffMs;
      const max = step.retry.maxBackoffMs ?? retry.maxBackoffMs;
      if (max < backoff) {
        problems.add(
          'SCHEMA_INVALID',
          ['steps', i, 'retry', 'maxBackoffMs'],
          `must be at least backoffMs (${backoff}) once settings.retry is applied`,
          step.id,
        );
      }
    }
  });

  const edges: { index: number; edge: Edge }[] = [];
  rawEdges.forEach((raw, j) => {
    const r = EdgeSchema.safeParse(raw);
    if (r.success) edges.push({ index: j, edge: r.data });
    else problems.addIssues(r.error.issues, ['edges', j], 'SCHEMA_INVALID');
  });

  // ---- Edges
  const graphEdges: { index: number; edge: Edge }[] = [];
  const seenEdges = new Map<string, number>();
  for (const { index: j, edge } of edges) {
    let usable = true;
    for (const end of ['from', 'to'] as const) {
      if (!idIndex.has(edge[end])) {
        const other = end === 'from' ? edge.to : edge.from;
        const stepId = idIndex.has(other) ? other : undefined;
        problems.add('EDGE_UNKNOWN_STEP', ['edges', j, end], `no step has the id "${edge[end]}"`, stepId);
        usable = false;
      }
    }
    if (edge.from === edge.to) {
      problems.add('EDGE_SELF_LOOP', ['edges', j], `edge goes from "${edge.from}" to itself`, edge.from);
      usable = false;
    }
    const key = JSON.stringify([edge.from, edge.to, edge.when ?? null]);
    const first = seenEdges.get(key);
    if (first !== undefined) {
      problems.add('DUPLICATE_EDGE', ['edges', j], `repeats edges[${first}]`, edge.from);
      usable = false;
    } else seenEdges.set(key, j);
    if (edge.when !== undefined) {
      const source = parsedSteps.get(edge.from);
      if (source?.kind) {
        if (typeof source.kind.branches !== 'function') {
          problems.add(
            'EDGE_WHEN_NOT_BRANCHING',
            ['edges', j, 'when'],
            `step "${edge.from}" (${source.kind.type}) does not branch, so its edges cannot have "when"`,
            edge.from,
          );
        } else if (source.configOk) {
          const labels = source.kind.branches(source.config);
          if (labels !== 'any' && !labels.includes(edge.when)) {
            problems.add(
              'EDGE_WHEN_UNKNOWN_BRANCH',
              ['edges', j, 'when'],
              `step "${edge.from}" takes branches ${labels.map((l) => JSON.stringify(l)).join(', ')}, not ${JSON.stringify(edge.when)}`,
              edge.from,
            );
          }
        }
      }
    }
    if (usable) graphEdges.push({ index: j, edge });
  }

  // ---- Cycles
  const nodes = [...idIndex.keys()];
  for (const cycle of findCycles(
    nodes,
    graphEdges.map((e) => e.edge),
  )) {
    const last = cycle[cycle.length - 1];
    const first = cycle[0] as string;
    const closing = graphEdges.find((e) => e.edge.from === last && e.edge.to === first);
    problems.add(
      'CYCLE',
      closing ? ['edges', closing.index] : ['edges'],
      `steps form a cycle: ${[...cycle, first].join(' → ')}`,
      first,
    );
  }

  // ---- Trigger ↔ steps
  if (trigger?.type === 'webhook') {
    const { respond, responseStep } = trigger.config;
    if (respond === 'wait' && responseStep === undefined) {
      problems.add(
        'RESPONSE_STEP_REQUIRED',
        ['trigger', 'config', 'responseStep'],
        'is required when respond is "wait": name the step whose output answers the request',
      );
    }
    if (responseStep !== undefined && !idIndex.has(responseStep)) {
      problems.add(
        'RESPONSE_STEP_UNKNOWN',
        ['trigger', 'config', 'responseStep'],
        `no step has the id "${responseStep}"`,
      );
    }
  }

  // ---- Expressions, templates and the steps they read
  const parents = new Map<string, string[]>(nodes.map((id) => [id, []]));
  for (const { edge } of graphEdges) parents.get(edge.to)?.push(edge.from);
  const ancestorCache = new Map<string, Set<string>>();
  const ancestorsOf = (id: string): Set<string> => {
    let found = ancestorCache.get(id);
    if (found) return found;
    found = new Set();
    const queue = [...(parents.get(id) ?? [])];
    while (queue.length > 0) {
      const p = queue.pop() as string;
      if (found.has(p)) continue;
      found.add(p);
      queue.push(...(parents.get(p) ?? []));
    }
    ancestorCache.set(id, found);
    return found;
  };

  for (const { index: i, step, kind } of parsedSteps.values()) {
    const checkRefs = (expression: string, path: PathKey[], what: string) => {
      let refs: string[];
      try {
        refs = stepReferences(expression);
      } catch {
        return; // a syntax problem, reported where the expression was found
      }
      for (const ref of refs) {
        if (!idIndex.has(ref)) {
          problems.add('REFERENCE_UNKNOWN_STEP', path, `${what} reads steps.${ref}, but no step has that id`, step.id);
        } else if (!ancestorsOf(step.id).has(ref)) {
          problems.add(
            'REFERENCE_NOT_UPSTREAM',
            path,
            `${what} reads steps.${ref}, which is not upstream of "${step.id}" and may not have run yet`,
            step.id,
            'warning',
          );
        }
      }
    };

    const expressionPaths = new Set<string>();
    if (kind) {
      for (const f of expressionFieldPaths(kind.config, step.config)) {
        const path = ['steps', i, 'config', ...f.path];
        expressionPaths.add(formatPath(path));
        checkRefs(f.expression, path, 'the expression');
      }
    }
    for (const [value, sub] of strings(step.config, [])) {
      const path = ['steps', i, 'config', ...sub];
      if (!value.includes('{{') || expressionPaths.has(formatPath(path))) continue;
      let parts;
      try {
        parts = parseTemplates(value);
      } catch (err) {
        problems.add('EXPRESSION_SYNTAX', path, err instanceof ExpressionError ? err.message : String(err), step.id);
        continue;
      }
      for (const part of parts) {
        if (part.type !== 'expression') continue;
        const syntax = expressionProblem(part.expression);
        if (syntax) {
          problems.add('EXPRESSION_SYNTAX', path, `template {{ ${part.expression} }}: ${syntax.message}`, step.id);
        } else checkRefs(part.expression, path, `the template {{ ${part.expression} }}`);
      }
    }
  }

  if (problems.hasErrors) return fail();
  const final = WorkflowDefinitionSchema.safeParse(input);
  if (!final.success) {
    // The part-by-part checks above cover the same schema; this is a safety net.
    problems.addIssues(final.error.issues, [], 'SCHEMA_INVALID');
    return fail();
  }
  warnWaitsPastTimeout(final.data, problems);
  const { layout } = final.data;
  if (layout) {
    // A position left behind by a deleted or renamed step is harmless: drop it, don't complain.
    layout.steps = Object.fromEntries(Object.entries(layout.steps).filter(([id]) => idIndex.has(id)));
  }
  return { ok: true, definition: final.data, warnings: problems.list };
}
