import type { AnyStepKind } from '../../workflows/steps/registry.ts';
import { aiClassifyStep } from './classify.ts';
import { aiExtractStep } from './extract.ts';
import { aiGenerateStep } from './generate.ts';
import { aiSummarizeStep } from './summarize.ts';

export { createAiStepPort, type AiStepPort } from './port.ts';
export { AI_STEP_LIMITS } from './generate.ts';
export { UNMATCHED_BRANCH } from './classify.ts';

/** The AI step kinds; they find the AI runtime as the engine's `services.ai` (an `AiStepPort`). */
export const aiStepKinds = (): AnyStepKind[] => [aiGenerateStep, aiSummarizeStep, aiClassifyStep, aiExtractStep];
