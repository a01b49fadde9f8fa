import type { ParsedText } from './nlp.ts';

export type SentimentLabel = 'positive' | 'negative' | 'neutral';

export interface Sentiment {
  label: SentimentLabel;
  /** wink-nlp's score for the whole text, in [-1, 1]. */
  score: number;
  /** Per sentence, for texts that mix praise and complaint. */
  sentences: { text: string; score: number; label: SentimentLabel }[];
}

/**
 * Scores within ±NEUTRAL_BAND count as neutral. wink's score is a normalised sum of lexicon
 * valences (AFINN-style words and emoji, with negation handling), so a text with no opinion
 * words scores exactly 0 and a single mild word already moves it by a few hundredths.
 */
export const NEUTRAL_BAND = 0.05;

export const sentimentLabel = (score: number): SentimentLabel =>
  score > NEUTRAL_BAND ? 'positive' : score < -NEUTRAL_BAND ? 'negative' : 'neutral';

export function sentimentOf(parsed: ParsedText): Sentiment {
  return {
    label: sentimentLabel(parsed.sentiment),
    score: round(parsed.sentiment),
    sentences: parsed.sentences.map((s) => ({
      text: s.text,
      score: round(s.sentiment),
      label: sentimentLabel(s.sentiment),
    })),
  };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
