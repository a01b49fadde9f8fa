import jsonata from 'jsonata';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';

/**
 * JSONata for workflows: compiling (cached), guarded evaluation, `{{ … }}` templates and the
 * static analysis validation needs (syntax, `steps.<id>` references).
 *
 * JSONata has no access to the host: no I/O, no `require`, no JavaScript `eval` (its `$eval`
 * parses JSONata, under the same guards). Every evaluation is bounded in time and depth by
 * JSONata's own guardrails (checked each time the evaluator enters a node, so runaway recursion
 * and long loops stop), sequences are bounded in length, and regular expressions with nested
 * unbounded quantifiers (`(a+)+`, the catastrophic-backtracking shape) are refused, because a
 * backtracking regex runs inside one native call that no guard can interrupt.
 *
 * Results are plain JSON: JSONata's internal sequence markers and null-prototype objects are
 * copied out and functions are dropped, so what a later step sees in memory is exactly what it
 * would see after the output has been stored and read back.
 */

export const EXPRESSION_LIMITS = {
  /** Characters in one expression (a `{{ }}` template counts its inside). */
  maxLength: 10_000,
  /** Compiled expressions kept in the LRU cache. */
  cacheEntries: 1000,
  defaultTimeoutMs: 250,
  maxTimeoutMs: 30_000,
  /** JSONata evaluator nesting (recursion) limit. */
  defaultMaxDepth: 1000,
  /** Longest sequence (array) an expression may build, ranges included. */
  maxSequence: 1_000_000,
  /** Nesting of the value `render` walks, and of an expression's result. */
  maxValueDepth: 64,
  /** Time for all the templates of one `render` call together. */
  defaultRenderBudgetMs: 2000,
} as const;

export type ExpressionErrorCode = 'EXPRESSION_SYNTAX' | 'EXPRESSION_RUNTIME' | 'EXPRESSION_TIMEOUT';

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(
    readonly code: ExpressionErrorCode,
    message: string,
    readonly details: {
      /** Character offset in the expression, when JSONata reports one. */
      position?: number;
      token?: string;
      /** JSONata's own error code (`S0201`, `T2002`…), for support and docs lookups. */
      jsonataCode?: string;
    } = {},
  ) {
    super(message);
  }

  get position(): number | undefined {
    return this.details.position;
  }
}

export interface EvaluateOptions {
  /** Wall-clock limit for this evaluation; default 250 ms. */
  timeoutMs?: number;
  /** Evaluator nesting limit (stops non-tail recursion); default 1000. */
  maxDepth?: number;
  /** Extra `$name` variables (e.g. the `extra` of `StepContext.evaluate`). */
  bindings?: Record<string, unknown>;
}

export interface RenderOptions extends EvaluateOptions {
  /** Time for every template in the value together; default 2000 ms. */
  budgetMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Regular expressions

/**
 * Why a regex source could backtrack catastrophically, or undefined. Refuses a group that holds an
 * unbounded quantifier (`*`, `+`, `{n,}`, `{n,m}`) and is itself quantified unboundedly: star
 * height above one. A heuristic (overlapping alternations such as `(a|a)*` pass), but it stops the
 * common shapes; inputs are also bounded by the definition and run size limits.
 */
export function unsafeRegexReason(source: string): string | undefined {
  const groups: boolean[] = [false];
  let lastGroupHadQuantifier = false;
  let lastWasGroup = false;
  let i = 0;
  const markQuantified = () => {
    groups[groups.length - 1] = true;
  };
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') {
      i += 2;
      lastWasGroup = false;
      continue;
    }
    if (c === '[') {
      i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      lastWasGroup = false;
      continue;
    }
    if (c === '(') {
      groups.push(false);
      i++;
      lastWasGroup = false;
      continue;
    }
    if (c === ')') {
      lastGroupHadQuantifier = groups.pop() ?? false;
      if (groups.length === 0) groups.push(false);
      if (lastGroupHadQuantifier) markQuantified();
      lastWasGroup = true;
      i++;
      continue;
    }
    let unbounded = false;
    let len = 0;
    if (c === '*' || c === '+') {
      unbounded = true;
      len = 1;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 24));
      if (m) {
        len = m[0].length;
        unbounded = m[2] !== undefined && (m[3] === '' || Number(m[3]) > 1);
      }
    }
    if (len > 0) {
      if (unbounded) {
        if (lastWasGroup && lastGroupHadQuantifier) return 'nested quantifiers can backtrack catastrophically';
        markQuantified();
      }
      i += len;
      if (source[i] === '?' || source[i] === '+') i++;
      lastWasGroup = false;
      continue;
    }
    lastWasGroup = false;
    i++;
  }
  return undefined;
}

/** Handed to JSONata as its regex engine, so regexes built at run time (`$eval`) are checked too. */
class GuardedRegExp extends RegExp {
  constructor(pattern: string | RegExp, flags?: string) {
    const reason = unsafeRegexReason(typeof pattern === 'string' ? pattern : pattern.source);
    if (reason) throw new ExpressionError('EXPRESSION_RUNTIME', `Regular expression refused: ${reason}`);
    super(pattern, flags);
  }
}

// ---------------------------------------------------------------------------------------------
// Compiling

type Ast = jsonata.ExprNode;

interface JsonataThrown {
  code?: unknown;
  message?: unknown;
  position?: unknown;
  token?: unknown;
}

function toExpressionError(err: unknown, phase: 'compile' | 'evaluate', opts?: { timeoutMs: number }): ExpressionError {
  if (err instanceof ExpressionError) return err;
  if (err instanceof RangeError) {
    return phase === 'compile'
      ? new ExpressionError('EXPRESSION_SYNTAX', 'Expression is nested too deeply to parse')
      : new ExpressionError('EXPRESSION_RUNTIME', `Expression failed: ${err.message}`);
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as JsonataThrown;
  const jsonataCode = typeof e.code === 'string' ? e.code : undefined;
  const details = {
    ...(typeof e.position === 'number' ? { position: e.position } : {}),
    ...(typeof e.token === 'string' ? { token: e.token } : {}),
    ...(jsonataCode ? { jsonataCode } : {}),
  };
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  if (jsonataCode === 'D1012') {
    return new ExpressionError(
      'EXPRESSION_TIMEOUT',
      `Expression ran longer than ${opts?.timeoutMs ?? EXPRESSION_LIMITS.defaultTimeoutMs} ms (infinite loop or recursion?)`,
      details,
    );
  }
  if (jsonataCode === 'D1011') {
    return new ExpressionError(
      'EXPRESSION_RUNTIME',
      'Expression recursed too deeply (non-terminating recursion? rewrite it as tail-recursive)',
      details,
    );
  }
  const syntax = phase === 'compile' || (jsonataCode?.startsWith('S0') ?? false);
  const at = details.position !== undefined ? ` (at ${details.position})` : '';
  return new ExpressionError(syntax ? 'EXPRESSION_SYNTAX' : 'EXPRESSION_RUNTIME', `${message}${at}`, details);
}

function walkAst(node: unknown, visit: (n: Record<string, unknown>) => void, depth = 0): void {
  if (depth > 10_000 || node === null || typeof node !== 'object' || node instanceof RegExp) return;
  if (Array.isArray(node)) {
    for (const n of node) walkAst(n, visit, depth + 1);
    return;
  }
  const rec = node as Record<string, unknown>;
  visit(rec);
  for (const v of Object.values(rec)) walkAst(v, visit, depth + 1);
}

const cache = new LRUCache<string, jsonata.Expression>({ max: EXPRESSION_LIMITS.cacheEntries });

function clampTimeout(ms: number | undefined): number {
  const t = ms ?? EXPRESSION_LIMITS.defaultTimeoutMs;
  return Math.max(1, Math.min(Math.floor(t), EXPRESSION_LIMITS.maxTimeoutMs));
}

function compileWith(expression: string, timeoutMs: number, maxDepth: number): jsonata.Expression {
  const key = `${timeoutMs}:${maxDepth}:${expression}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (typeof expression !== 'string') throw new ExpressionError('EXPRESSION_SYNTAX', 'Expression must be a string');
  if (expression.trim() === '') throw new ExpressionError('EXPRESSION_SYNTAX', 'Expression is empty');
  if (expression.length > EXPRESSION_LIMITS.maxLength) {
    throw new ExpressionError(
      'EXPRESSION_SYNTAX',
      `Expression is longer than ${EXPRESSION_LIMITS.maxLength} characters`,
    );
  }
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(expression, {
      timeout: timeoutMs,
      stack: maxDepth,
      sequence: EXPRESSION_LIMITS.maxSequence,
      // JSONata only constructs it with `new` (`new RegexEngine(regexLiteral)`).
      RegexEngine: GuardedRegExp as unknown as RegExpConstructor,
    });
  } catch (err) {
    throw toExpressionError(err, 'compile');
  }
  walkAst(compiled.ast(), (n) => {
    if (n.type === 'regex' && n.value instanceof RegExp) {
      const reason = unsafeRegexReason(n.value.source);
      if (reason) {
        throw new ExpressionError('EXPRESSION_SYNTAX', `Regular expression /${n.value.source}/ refused: ${reason}`, {
          ...(typeof n.position === 'number' ? { position: n.position } : {}),
        });
      }
    }
  });
  cache.set(key, compiled);
  return compiled;
}

/**
 * Parses an expression (cached) and checks what can be checked without running it. Throws
 * `ExpressionError` with code `EXPRESSION_SYNTAX`.
 */
export function compile(expression: string): jsonata.Expression {
  return compileWith(expression, EXPRESSION_LIMITS.defaultTimeoutMs, EXPRESSION_LIMITS.defaultMaxDepth);
}

/** The syntax problem of an expression, or undefined when it compiles. */
export function expressionProblem(expression: string): ExpressionError | undefined {
  try {
    compile(expression);
    return undefined;
  } catch (err) {
    return toExpressionError(err, 'compile');
  }
}

/**
 * The step ids an expression reads as `steps.<id>` (or `$$.steps.<id>`, `$.steps.<id>`) from the
 * run scope's root. Paths inside a relative context (`items.{ "x": steps.y }` reads `items[].steps`)
 * are not references. Throws `ExpressionError` when the expression does not compile.
 */
export function stepReferences(expression: string): string[] {
  const refs = new Set<string>();
  const visit = (node: unknown, atRoot: boolean, depth: number): void => {
    if (depth > 10_000 || node === null || typeof node !== 'object' || node instanceof RegExp) return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n, atRoot, depth + 1);
      return;
    }
    const rec = node as Record<string, unknown>;
    if (rec.type === 'path' && Array.isArray(rec.steps)) {
      const steps = rec.steps as Ast[];
      let i = 0;
      let root = atRoot;
      const first = steps[0];
      if (first?.type === 'variable' && (first.value === '$' || first.value === '')) {
        root = first.value === '$' || atRoot;
        i = 1;
      }
      const head = steps[i];
      const id = steps[i + 1];
      if (
        root &&
        head?.type === 'name' &&
        head.value === 'steps' &&
        id?.type === 'name' &&
        typeof id.value === 'string'
      ) {
        refs.add(id.value);
      }
      steps.forEach((s, k) => visit(s, k === 0 ? atRoot : false, depth + 1));
      for (const [key, v] of Object.entries(rec)) if (key !== 'steps') visit(v, false, depth + 1);
      return;
    }
    for (const v of Object.values(rec)) visit(v, atRoot, depth + 1);
  };
  visit(compile(expression).ast(), true, 0);
  return [...refs];
}

// ---------------------------------------------------------------------------------------------
// Evaluating

const isJsonataFunction = (v: unknown): boolean =>
  typeof v === 'function' ||
  (typeof v === 'object' &&
    v !== null &&
    ((v as { _jsonata_lambda?: unknown })._jsonata_lambda === true ||
      (v as { _jsonata_function?: unknown })._jsonata_function === true));

/** A JSONata result as plain JSON (see the module comment). */
function toJson(value: unknown, depth: number): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (isJsonataFunction(value)) return undefined;
  if (depth >= EXPRESSION_LIMITS.maxValueDepth) {
    throw new ExpressionError(
      'EXPRESSION_RUNTIME',
      `Expression result nests deeper than ${EXPRESSION_LIMITS.maxValueDepth} levels`,
    );
  }
  if (Array.isArray(value)) {
    return value.map((v) => {
      const j = toJson(v, depth + 1);
      return j === undefined ? null : j;
    });
  }
  if (typeof value === 'object') {
    if (value instanceof Date) return value.toISOString();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const j = toJson(v, depth + 1);
      if (j !== undefined) out[k] = j;
    }
    return out;
  }
  return undefined; // bigint, symbol: not JSON
}

/**
 * Evaluates a JSONata expression against `scope` (its `$` / root). Returns plain JSON, or
 * `undefined` when the expression matches nothing. Throws `ExpressionError`.
 */
export async function evaluate(expression: string, scope: unknown, opts: EvaluateOptions = {}): Promise<unknown> {
  const timeoutMs = clampTimeout(opts.timeoutMs);
  const maxDepth = Math.max(1, Math.floor(opts.maxDepth ?? EXPRESSION_LIMITS.defaultMaxDepth));
  const compiled = compileWith(expression, timeoutMs, maxDepth);
  let result: unknown;
  try {
    result = await compiled.evaluate(scope, opts.bindings);
  } catch (err) {
    throw toExpressionError(err, 'evaluate', { timeoutMs });
  }
  return toJson(result, 0);
}

/**
 * JSONata's effective boolean value (`$boolean`): empty string, 0, null, empty array or object,
 * functions and undefined are false; an array is true when any member is.
 */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.some(truthy);
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'boolean') return value;
  if (isJsonataFunction(value)) return false;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Templates

export type TemplatePart =
  | { type: 'text'; text: string }
  /** `start`/`end`: offsets of `{{` and just after `}}` in the string. */
  | { type: 'expression'; expression: string; start: number; end: number };

/** Index just past the `}}` closing the template whose inside starts at `from`, or -1. */
function templateEnd(str: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < str.length) {
    const c = str[i];
    if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < str.length && str[i] !== c) i += str[i] === '\\' && c !== '`' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '/' && str[i + 1] === '*') {
      const close = str.indexOf('*/', i + 2);
      if (close < 0) return -1;
      i = close + 2;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0 && str[i + 1] === '}') return i + 2;
      if (depth > 0) depth--;
    }
    i++;
  }
  return -1;
}

/**
 * Splits a string into literal text and `{{ expression }}` templates. `\{{` is a literal `{{`.
 * The closing `}}` is found outside JSONata strings, comments and object braces, so
 * `{{ {"a": {"b": 1}} }}` is one template. Throws `ExpressionError` (`EXPRESSION_SYNTAX`) for an
 * unterminated or empty template; does not compile the expressions (see `compile`).
 */
export function parseTemplates(str: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < str.length) {
    const open = str.indexOf('{{', i);
    if (open < 0) {
      text += str.slice(i);
      break;
    }
    if (open > 0 && str[open - 1] === '\\') {
      text += str.slice(i, open - 1) + '{{';
      i = open + 2;
      continue;
    }
    text += str.slice(i, open);
    const end = templateEnd(str, open + 2);
    if (end < 0) {
      throw new ExpressionError('EXPRESSION_SYNTAX', 'Template "{{" is not closed by "}}"', { position: open });
    }
    const expression = str.slice(open + 2, end - 2).trim();
    if (expression === '') {
      throw new ExpressionError('EXPRESSION_SYNTAX', 'Template "{{ }}" is empty', { position: open });
    }
    if (text) parts.push({ type: 'text', text });
    text = '';
    parts.push({ type: 'expression', expression, start: open, end });
    i = end;
  }
  if (text) parts.push({ type: 'text', text });
  return parts;
}

/** Whether a string holds `{{` at all (cheap pre-check before `parseTemplates`). */
export const hasTemplate = (str: string): boolean => str.includes('{{');

/** How a template's value reads inside a longer string: JSONata's `$string`, undefined as ''. */
function interpolate(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

/**
 * Deep-resolves `{{ expression }}` templates in string values (object keys are left alone). A
 * string that is exactly one template becomes the expression's value with its type (a number,
 * an object, `undefined` when nothing matched); in a longer string each value is interpolated
 * (strings as-is, `undefined` as '', anything else as JSON). Returns a new value; throws
 * `ExpressionError`.
 */
export async function render(value: unknown, scope: unknown, opts: RenderOptions = {}): Promise<unknown> {
  const deadline = Date.now() + (opts.budgetMs ?? EXPRESSION_LIMITS.defaultRenderBudgetMs);
  const run = async (expression: string): Promise<unknown> => {
    if (Date.now() > deadline) {
      throw new ExpressionError(
        'EXPRESSION_TIMEOUT',
        `Templates took longer than ${opts.budgetMs ?? EXPRESSION_LIMITS.defaultRenderBudgetMs} ms together`,
      );
    }
    return evaluate(expression, scope, opts);
  };
  const walk = async (v: unknown, depth: number): Promise<unknown> => {
    if (typeof v === 'string') {
      if (!hasTemplate(v)) return v;
      const parts = parseTemplates(v);
      const only = parts[0];
      if (parts.length === 1 && only?.type === 'expression' && only.start === 0 && only.end === v.length) {
        return run(only.expression);
      }
      let out = '';
      for (const p of parts) out += p.type === 'text' ? p.text : interpolate(await run(p.expression));
      return out;
    }
    if (v === null || typeof v !== 'object') return v;
    if (depth >= EXPRESSION_LIMITS.maxValueDepth) {
      throw new ExpressionError(
        'EXPRESSION_RUNTIME',
        `Value nests deeper than ${EXPRESSION_LIMITS.maxValueDepth} levels`,
      );
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const item of v) out.push(await walk(item, depth + 1));
      return out;
    }
    if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) {
      const r = await walk(item, depth + 1);
      if (r !== undefined) out[k] = r;
    }
    return out;
  };
  return walk(value, 0);
}

// ---------------------------------------------------------------------------------------------
// Schemas for step kinds

/** Marks a string as a JSONata expression and checks its syntax; found by `expressionFieldPaths`. */
const expressionCheck = z.superRefine<string>((value, ctx) => {
  if (typeof value !== 'string') return;
  const problem = expressionProblem(value);
  if (problem) {
    ctx.addIssue({
      code: 'custom',
      message: problem.message,
      params: { code: 'EXPRESSION_SYNTAX', position: problem.position },
      input: value,
    });
  }
});

/**
 * A config field holding a JSONata expression (not a template). Use it in step kinds' config
 * schemas: its syntax is checked when the config is parsed (problem code `EXPRESSION_SYNTAX`),
 * validation reads its `steps.<id>` references, and templates are not looked for inside it.
 */
export const jsonataExpression = (opts: { max?: number } = {}) =>
  z
    .string()
    .min(1)
    .max(opts.max ?? EXPRESSION_LIMITS.maxLength)
    .check(expressionCheck)
    .meta({ format: 'jsonata' });

interface ZodInternals {
  _zod: { def: Record<string, unknown> & { type: string; checks?: unknown[] } };
}

/**
 * Where a config value holds `jsonataExpression` fields, as paths (`['cases', 0, 'expression']`)
 * with the strings found there. Walks the schema alongside the value (objects, arrays, records,
 * tuples, optional/default/nullable wrappers, pipes, unions by first matching option, lazy).
 */
export function expressionFieldPaths(
  schema: z.ZodType,
  value: unknown,
): Array<{ path: (string | number)[]; expression: string }> {
  const found: Array<{ path: (string | number)[]; expression: string }> = [];
  const walk = (s: unknown, v: unknown, path: (string | number)[], depth: number): void => {
    if (depth > 64 || typeof s !== 'object' || s === null || !('_zod' in s)) return;
    const def = (s as ZodInternals)._zod.def;
    switch (def.type) {
      case 'string':
        if (typeof v === 'string' && def.checks?.includes(expressionCheck)) found.push({ path, expression: v });
        return;
      case 'object': {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
        const shape = def.shape as Record<string, unknown>;
        for (const [k, child] of Object.entries(shape)) {
          if (Object.hasOwn(v, k)) walk(child, (v as Record<string, unknown>)[k], [...path, k], depth + 1);
        }
        return;
      }
      case 'array':
        if (Array.isArray(v)) v.forEach((item, i) => walk(def.element, item, [...path, i], depth + 1));
        return;
      case 'tuple':
        if (Array.isArray(v)) {
          const items = def.items as unknown[];
          v.forEach((item, i) => walk(i < items.length ? items[i] : def.rest, item, [...path, i], depth + 1));
        }
        return;
      case 'record':
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
          for (const [k, item] of Object.entries(v)) walk(def.valueType, item, [...path, k], depth + 1);
        }
        return;
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'catch':
      case 'readonly':
      case 'nonoptional':
        walk(def.innerType, v, path, depth + 1);
        return;
      case 'pipe':
        walk(def.in, v, path, depth + 1);
        return;
      case 'lazy':
        walk((def.getter as () => unknown)(), v, path, depth + 1);
        return;
      case 'intersection':
        walk(def.left, v, path, depth + 1);
        walk(def.right, v, path, depth + 1);
        return;
      case 'union': {
        const options = def.options as z.ZodType[];
        const match = options.find((o) => o.safeParse(v).success);
        if (match) walk(match, v, path, depth + 1);
        return;
      }
      default:
        return;
    }
  };
  walk(schema, value, [], 0);
  return found;
}
