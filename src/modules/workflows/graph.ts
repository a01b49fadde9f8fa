import {
  effectiveStepPolicy,
  type RetryPolicy,
  type StepDefinition,
  type WorkflowDefinition,
  WorkflowDefinitionSchema,
} from './definition.ts';

/**
 * The execution plan of a workflow version: compiled once from a valid definition, immutable,
 * shared by every run of that version. `nextSteps` is the scheduler's only question ("given what
 * has happened, what runs now and what is skipped?"); it is pure and linear in steps + edges,
 * over indices computed here, because the engine asks it after every step.
 *
 * Semantics:
 * - A step with no incoming edge (a root) is ready at once; several roots run in parallel.
 * - An edge is *taken* when its source is done and either has no `when` or the source's
 *   branch equals it. A skipped source takes none of its edges.
 * - A pending step whose predecessors are all finished (done or skipped) is ready when at least
 *   one incoming edge was taken, and skipped otherwise. Skipping propagates in the same call.
 * - A disabled step never executes: when it would be ready it passes through, i.e. the engine
 *   records it done with output null and no branch, so only its edges without `when` are taken.
 *   `nextSteps` applies that in the same call and lists such steps in `passThrough`.
 * - A failed step is not finished: its successors stay pending (the engine fails the run, or
 *   retries the step, which makes it pending again).
 */

export type StepStatus = 'done' | 'skipped' | 'failed' | 'pending' | 'running' | 'waiting';

export interface StepState {
  status: StepStatus;
  /** The branch a done step reported (condition, switch…). */
  branch?: string | undefined;
}

/** Step id → state. A step missing from it is pending. */
export type RunState = ReadonlyMap<string, StepState> | Readonly<Record<string, StepState | undefined>>;

export interface PlanEdge {
  readonly from: string;
  readonly to: string;
  readonly when?: string;
}

/** A step as planned: its definition's fields plus graph indices and the policy it runs with. */
export type PlanStep = Readonly<StepDefinition> & {
  /** Position in `plan.order`. */
  readonly index: number;
  readonly predecessors: readonly PlanEdge[];
  readonly successors: readonly PlanEdge[];
  /** Retry and timeout after applying the step's own fields over the workflow settings. */
  readonly policy: Readonly<{ retry: Readonly<RetryPolicy>; timeoutMs: number }>;
};

export interface ExecutionPlan {
  readonly definition: WorkflowDefinition;
  /** Every step id in a topological order (ties kept in definition order). */
  readonly order: readonly string[];
  /** Steps without incoming edges, in definition order. */
  readonly roots: readonly string[];
  /** Steps without outgoing edges, in definition order. */
  readonly leaves: readonly string[];
  readonly steps: ReadonlyMap<string, PlanStep>;
}

export interface NextSteps {
  /** Pending steps to execute now, in plan order. */
  ready: string[];
  /** Pending steps to record as skipped (transitively), in plan order. */
  skip: string[];
  /** Pending disabled steps to record as done with output null and no branch, in plan order. */
  passThrough: string[];
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
  readonly code = 'WORKFLOW_PLAN_INVALID';
}

/** A Map that refuses changes once built. */
class FrozenMap<K, V> extends Map<K, V> {
  #sealed = false;
  constructor(entries: Iterable<readonly [K, V]>) {
    super();
    for (const [k, v] of entries) super.set(k, v);
    this.#sealed = true;
    Object.freeze(this);
  }
  override set(key: K, value: V): this {
    if (this.#sealed) throw new TypeError('The execution plan is read-only');
    return super.set(key, value);
  }
  override delete(): boolean {
    throw new TypeError('The execution plan is read-only');
  }
  override clear(): void {
    throw new TypeError('The execution plan is read-only');
  }
}

function deepFreeze<T>(value: T, depth = 0): T {
  if (depth > 100 || value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v, depth + 1);
  return Object.freeze(value);
}

/** Indices `nextSteps` runs on; kept off the public plan object. */
interface Internals {
  ids: readonly string[];
  /** Incoming edges of step k (topological index) are inFrom/inWhen[inStart[k] .. inStart[k+1]). */
  inStart: Int32Array;
  inFrom: Int32Array;
  inWhen: (string | undefined)[];
  disabled: Uint8Array;
}
const internals = new WeakMap<ExecutionPlan, Internals>();

/**
 * Elementary cycles, one per strongly connected component of more than one step, each as the
 * step ids in edge order (`['a', 'b', 'c']` for a → b → c → a), starting from the component's
 * first step in `nodes` order. Self-loops are not reported here. Iterative (no recursion limit).
 */
export function findCycles(nodes: readonly string[], edges: readonly { from: string; to: string }[]): string[][] {
  const index = new Map(nodes.map((id, i) => [id, i]));
  const adj: number[][] = nodes.map(() => []);
  for (const e of edges) {
    const a = index.get(e.from);
    const b = index.get(e.to);
    if (a !== undefined && b !== undefined && a !== b) adj[a]?.push(b);
  }
  // Tarjan's algorithm with an explicit stack.
  const n = nodes.length;
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let start = 0; start < n; start++) {
    if (order[start] !== -1) continue;
    const work: [number, number][] = [[start, 0]];
    while (work.length > 0) {
      const top = work[work.length - 1] as [number, number];
      const [v, i] = top;
      if (i === 0) {
        order[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = 1;
      }
      const next = adj[v] ?? [];
      if (i < next.length) {
        top[1] = i + 1;
        const w = next[i] as number;
        if (order[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v] as number, order[w] as number);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
      if (low[v] === order[v]) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop() as number;
          onStack[w] = 0;
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1) components.push(comp);
      }
    }
  }
  // Within each component, the shortest cycle through its first step (BFS).
  const cycles = components.map((comp) => {
    const members = new Set(comp);
    const first = Math.min(...comp);
    const prev = new Map<number, number>();
    const queue = [first];
    let closing = -1;
    for (let q = 0; q < queue.length && closing < 0; q++) {
      const v = queue[q] as number;
      for (const w of adj[v] ?? []) {
        if (!members.has(w)) continue;
        if (w === first) {
          closing = v;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const path: number[] = [];
    for (let v = closing; v !== first && v >= 0; v = prev.get(v) ?? -1) path.push(v);
    path.push(first);
    return path.reverse().map((i) => nodes[i] as string);
  });
  return cycles.sort((a, b) => (index.get(a[0] ?? '') ?? 0) - (index.get(b[0] ?? '') ?? 0));
}

/**
 * Compiles a definition (as returned by `validateDefinition`, or the same JSON read back from
 * storage) into its execution plan. The definition goes through `WorkflowDefinitionSchema` again
 * so defaults are applied whatever was stored. Throws `PlanError` on a definition that does not
 * match the schema or a graph it cannot order (duplicate ids, edges to unknown steps,
 * self-loops, cycles); it does not re-check step kinds or configs (`validateDefinition` does).
 */
export function compilePlan(input: WorkflowDefinition): ExecutionPlan {
  const parsed = WorkflowDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new PlanError(`Not a workflow definition: ${first}`);
  }
  // A private deep copy (configs pass through zod by reference), frozen: the plan shares it.
  const definition = deepFreeze(structuredClone(parsed.data));
  const defs = definition.steps;
  const defIndex = new Map<string, number>();
  defs.forEach((s, i) => {
    if (defIndex.has(s.id)) throw new PlanError(`Step id "${s.id}" is used twice`);
    defIndex.set(s.id, i);
  });
  const n = defs.length;
  const incoming: PlanEdge[][] = defs.map(() => []);
  const outgoing: PlanEdge[][] = defs.map(() => []);
  for (const e of definition.edges) {
    const a = defIndex.get(e.from);
    const b = defIndex.get(e.to);
    if (a === undefined || b === undefined) {
      throw new PlanError(`Edge ${e.from} → ${e.to} names a step that does not exist`);
    }
    if (a === b) throw new PlanError(`Edge ${e.from} → ${e.to} is a self-loop`);
    const edge: PlanEdge = Object.freeze(e.when === undefined ? { from: e.from, to: e.to } : { ...e });
    outgoing[a]?.push(edge);
    incoming[b]?.push(edge);
  }

  // Kahn's algorithm, always taking the earliest-defined step that is free.
  const indegree = incoming.map((list) => list.length);
  const free: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) free.push(i);
  const topo: number[] = [];
  while (free.length > 0) {
    let best = 0;
    for (let k = 1; k < free.length; k++) if ((free[k] as number) < (free[best] as number)) best = k;
    const v = free.splice(best, 1)[0] as number;
    topo.push(v);
    for (const e of outgoing[v] ?? []) {
      const w = defIndex.get(e.to) as number;
      indegree[w] = (indegree[w] as number) - 1;
      if (indegree[w] === 0) free.push(w);
    }
  }
  if (topo.length < n) {
    const cycles = findCycles(
      defs.map((s) => s.id),
      definition.edges,
    );
    throw new PlanError(`The steps form a cycle: ${cycles.map((c) => [...c, c[0]].join(' → ')).join('; ')}`);
  }

  const order = topo.map((i) => (defs[i] as StepDefinition).id);
  const position = new Map(order.map((id, k) => [id, k]));
  const steps = new FrozenMap<string, PlanStep>(
    topo.map((i, k) => {
      const def = defs[i] as StepDefinition;
      const policy = effectiveStepPolicy(def, definition.settings);
      const step: PlanStep = {
        ...def,
        index: k,
        predecessors: Object.freeze(incoming[i] ?? []),
        successors: Object.freeze(outgoing[i] ?? []),
        policy: deepFreeze(policy),
      };
      return [def.id, Object.freeze(step)] as const;
    }),
  );

  const inStart = new Int32Array(n + 1);
  const inFrom: number[] = [];
  const inWhen: (string | undefined)[] = [];
  const disabled = new Uint8Array(n);
  topo.forEach((i, k) => {
    inStart[k] = inFrom.length;
    for (const e of incoming[i] ?? []) {
      inFrom.push(position.get(e.from) as number);
      inWhen.push(e.when);
    }
    if ((defs[i] as StepDefinition).disabled) disabled[k] = 1;
  });
  inStart[n] = inFrom.length;

  const plan: ExecutionPlan = Object.freeze({
    definition,
    order: Object.freeze(order),
    roots: Object.freeze(defs.filter((_, i) => incoming[i]?.length === 0).map((s) => s.id)),
    leaves: Object.freeze(defs.filter((_, i) => outgoing[i]?.length === 0).map((s) => s.id)),
    steps,
  });
  internals.set(plan, { ids: order, inStart, inFrom: Int32Array.from(inFrom), inWhen, disabled });
  return plan;
}

function internalsOf(plan: ExecutionPlan): Internals {
  const i = internals.get(plan);
  if (!i) throw new PlanError('Not an execution plan from compilePlan()');
  return i;
}

function reader(state: RunState): (id: string) => StepState | undefined {
  if (state instanceof Map) return (id) => state.get(id);
  const record = state as Readonly<Record<string, StepState | undefined>>;
  return (id) => (Object.hasOwn(record, id) ? record[id] : undefined);
}

const OTHER = 0;
const DONE = 1;
const SKIPPED = 2;

/**
 * Which pending steps run now, which are skipped and which pass through (disabled), given the
 * state of every step. Pure; one pass in topological order, so skips and pass-throughs
 * propagate as far as they go. Running, waiting and failed steps are left alone.
 */
export function nextSteps(plan: ExecutionPlan, state: RunState): NextSteps {
  const { ids, inStart, inFrom, inWhen, disabled } = internalsOf(plan);
  const get = reader(state);
  const n = ids.length;
  const eff = new Uint8Array(n);
  const branch: (string | undefined)[] = new Array(n);
  const out: NextSteps = { ready: [], skip: [], passThrough: [] };
  for (let k = 0; k < n; k++) {
    const id = ids[k] as string;
    const s = get(id);
    const status = s?.status ?? 'pending';
    if (status === 'done') {
      eff[k] = DONE;
      branch[k] = s?.branch;
      continue;
    }
    if (status === 'skipped') {
      eff[k] = SKIPPED;
      continue;
    }
    if (status !== 'pending') continue; // running, waiting, failed: not finished
    const from = inStart[k] as number;
    const to = inStart[k + 1] as number;
    let finished = true;
    let taken = from === to; // a root
    for (let j = from; j < to; j++) {
      const p = inFrom[j] as number;
      const e = eff[p];
      if (e === OTHER) {
        finished = false;
        break;
      }
      if (e === DONE && !taken) {
        const when = inWhen[j];
        if (when === undefined || when === branch[p]) taken = true;
      }
    }
    if (!finished) continue;
    if (!taken) {
      eff[k] = SKIPPED;
      out.skip.push(id);
    } else if (disabled[k]) {
      eff[k] = DONE;
      out.passThrough.push(id);
    } else {
      out.ready.push(id);
    }
  }
  return out;
}

/** True when every step is done or skipped: the run has succeeded. */
export function isComplete(plan: ExecutionPlan, state: RunState): boolean {
  const get = reader(state);
  for (const id of internalsOf(plan).ids) {
    const status = get(id)?.status;
    if (status !== 'done' && status !== 'skipped') return false;
  }
  return true;
}
