import { createHash } from 'node:crypto';
import type { StepLogger } from '../../workflows/steps/step-kind.ts';
import {
  addUsage,
  type AiAnswerer,
  type AiProvider,
  type AiUsage,
  type GenerateRequest,
  zeroUsage,
} from '../provider.ts';
import type { AiStepPort } from './port.ts';

/**
 * The journal of an AI step: every model call it makes, written to the step attempt's logs (the
 * attempt row is the journal, shown in `GET /api/v1/runs/:id`) — the request as the provider port
 * received it (after templating, with the operation's own instructions and the document block),
 * who answered with which model, the answer, the usage and the estimated cost. A failed call is
 * journaled with its error, on the failed attempt.
 *
 * Texts are capped at `JOURNAL_TEXT_MAX` characters each (the attempt row is not a blob store);
 * `promptSha256` and `promptChars` describe the whole request, so a capped prompt can still be
 * matched against what was sent. The provider's API key is never part of a request: it travels in
 * a header the adapter adds below this port.
 */
export const JOURNAL_TEXT_MAX = 16_384;

export type AiOperation = 'generate' | 'summarize' | 'classify' | 'extract';

/** The compact account of an AI step's calls, carried in its output (and so over a re-run). */
export interface AiCallSummary {
  provider: string;
  kind: AiAnswerer['kind'];
  model: string;
  /** Model calls made (extraction retries count); 0 for the offline engine. */
  calls: number;
  usage: AiUsage;
  /** Estimated, in millionths of a US dollar; null when a model is not in the price table. */
  costMicrousd: number | null;
  /** SHA-256 of the first request (system, prompt or messages), as journaled. */
  promptSha256: string | null;
}

export const capText = (s: string, max = JOURNAL_TEXT_MAX): string =>
  s.length <= max ? s : `${s.slice(0, max)}… [${s.length - max} more characters]`;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The request fields that reach the model, in a stable order (what the hash covers). */
const requestText = (r: GenerateRequest) =>
  JSON.stringify({ system: r.system ?? null, prompt: r.prompt ?? null, messages: r.messages ?? null });

export class AiJournal {
  readonly answers: AiAnswerer[] = [];
  private firstPromptHash: string | null = null;
  private costs: (number | null)[] = [];
  /** Calls made, answered or not: the journal numbers them. */
  private made = 0;

  constructor(
    private readonly log: StepLogger,
    private readonly operation: AiOperation,
    private readonly costOf: AiStepPort['costOf'],
  ) {}

  /** The provider with every `generate` journaled (and `stream`, when it settles). */
  wrap(provider: AiProvider): AiProvider {
    const record = (
      request: GenerateRequest,
      started: number,
      outcome: { result?: Awaited<ReturnType<AiProvider['generate']>>; error?: unknown },
    ) => {
      const text = requestText(request);
      const hash = sha256(text);
      this.firstPromptHash ??= hash;
      const base = {
        operation: this.operation,
        call: ++this.made,
        provider: provider.id,
        kind: provider.kind,
        request: {
          ...(request.system !== undefined ? { system: capText(request.system) } : {}),
          ...(request.prompt !== undefined ? { prompt: capText(request.prompt) } : {}),
          ...(request.messages
            ? { messages: request.messages.map((m) => ({ role: m.role, content: capText(m.content) })) }
            : {}),
          ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        },
        promptSha256: hash,
        promptChars: text.length,
        durationMs: Math.round(performance.now() - started),
      };
      if (outcome.result) {
        const r = outcome.result;
        const cost = this.costOf(r);
        this.answers.push(r);
        this.costs.push(cost);
        this.log('info', 'ai call', {
          ...base,
          model: r.model,
          response: { text: capText(r.text), finishReason: r.finishReason },
          usage: r.usage,
          costMicrousd: cost,
        });
      } else {
        const e = outcome.error as { code?: unknown; message?: unknown } | undefined;
        this.log('warn', 'ai call failed', {
          ...base,
          model: provider.model,
          error: {
            code: typeof e?.code === 'string' ? e.code : 'ERROR',
            message: capText(String(e?.message ?? e), 2000),
          },
        });
      }
    };
    return {
      id: provider.id,
      kind: provider.kind,
      model: provider.model,
      generate: async (request) => {
        const started = performance.now();
        try {
          const result = await provider.generate(request);
          record(request, started, { result });
          return result;
        } catch (error) {
          record(request, started, { error });
          throw error;
        }
      },
      stream: (request) => {
        const started = performance.now();
        const s = provider.stream(request);
        s.result.then(
          (result) => record(request, started, { result }),
          (error: unknown) => record(request, started, { error }),
        );
        return s;
      },
    };
  }

  /** An answer of the offline engine: no model call, journaled with its input and output. */
  offline(answer: AiAnswerer, input: string, output: unknown): void {
    this.firstPromptHash ??= sha256(input);
    this.log('info', 'ai offline', {
      operation: this.operation,
      provider: answer.provider,
      kind: answer.kind,
      model: answer.model,
      input: { text: capText(input), sha256: sha256(input), chars: input.length },
      output,
      usage: answer.usage,
      costMicrousd: 0,
    });
  }

  /** What the step's output says about its calls; `fallback` answers for an offline result. */
  summary(fallback: AiAnswerer): AiCallSummary {
    const last = this.answers.at(-1) ?? fallback;
    const usage = this.answers.reduce((u, a) => addUsage(u, a.usage), zeroUsage());
    const cost =
      this.answers.length === 0
        ? 0
        : this.costs.some((c) => c === null)
          ? null
          : this.costs.reduce<number>((s, c) => s + (c ?? 0), 0);
    return {
      provider: last.provider,
      kind: last.kind,
      model: last.model,
      calls: this.answers.length,
      usage,
      costMicrousd: cost,
      promptSha256: this.firstPromptHash,
    };
  }
}
