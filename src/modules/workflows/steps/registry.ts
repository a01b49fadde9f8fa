import { z } from 'zod';
import { STEP_TYPE_PATTERN } from '../definition.ts';
import { conditionStep } from './condition.ts';
import type { StepKind } from './step-kind.ts';
import { switchStep } from './switch.ts';
import { transformStep } from './transform.ts';

/**
 * The step kinds a process knows. Open: each kind is one file that exports a `StepKind`, and a
 * process registers the kinds it supports (`new StepRegistry(defaultStepKinds()).register(httpStep)`).
 * Validation, the engine and the editor's catalogue (`describe()`) all read from the same registry.
 */

/**
 * A registered kind with its config type erased (a `StepKind<C>` is assignable: its config-taking
 * members are methods). Parse config with `kind.config` before handing it to `execute`/`branches`.
 */
export type AnyStepKind = StepKind<unknown>;

export interface StepKindDescription {
  type: string;
  description: string;
  pure: boolean;
  /** Whether edges from this kind may carry `when` (it reports a branch). */
  branches: boolean;
  /** JSON Schema (draft 2020-12) of the config as written by users (input side, defaults optional). */
  configSchema: Record<string, unknown>;
}

export class StepRegistry {
  readonly #kinds = new Map<string, AnyStepKind>();
  #described: StepKindDescription[] | undefined;

  constructor(kinds: Iterable<AnyStepKind> = []) {
    for (const k of kinds) this.register(k);
  }

  /** Adds a kind; throws when its type name is malformed or already registered. */
  register(kind: AnyStepKind): this {
    if (typeof kind.type !== 'string' || !STEP_TYPE_PATTERN.test(kind.type) || kind.type.length > 64) {
      throw new TypeError(`Step kind type ${JSON.stringify(kind.type)} is not a valid kind name`);
    }
    if (this.#kinds.has(kind.type)) throw new TypeError(`Step kind "${kind.type}" is already registered`);
    this.#kinds.set(kind.type, kind);
    this.#described = undefined;
    return this;
  }

  get(type: string): AnyStepKind | undefined {
    return this.#kinds.get(type);
  }

  has(type: string): boolean {
    return this.#kinds.has(type);
  }

  /** Registered kinds, in registration order. */
  list(): AnyStepKind[] {
    return [...this.#kinds.values()];
  }

  types(): string[] {
    return [...this.#kinds.keys()];
  }

  /** The catalogue for editors and the API (computed once per registry state). */
  describe(): StepKindDescription[] {
    this.#described ??= this.list().map((k) => ({
      type: k.type,
      description: k.description,
      pure: k.pure,
      branches: typeof k.branches === 'function',
      configSchema: z.toJSONSchema(k.config, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    }));
    return this.#described.map((d) => structuredClone(d));
  }
}

/** The kinds this module ships: transform, condition, switch. Other kinds register alongside. */
export function defaultStepKinds(): AnyStepKind[] {
  return [transformStep, conditionStep, switchStep];
}

/** A registry holding `defaultStepKinds()` plus any extra kinds. */
export function createStepRegistry(extra: Iterable<AnyStepKind> = []): StepRegistry {
  return new StepRegistry([...defaultStepKinds(), ...extra]);
}
