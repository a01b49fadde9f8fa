import type { ParsedText, Token } from './nlp.ts';

export interface Keyphrase {
  phrase: string;
  score: number;
  /** How many times the phrase occurs. */
  count: number;
}

const PHRASE_POS = new Set(['NOUN', 'PROPN', 'ADJ']);
const MAX_WORDS = 4;

/**
 * Keyphrases in the manner of RAKE (Rose et al., 2010): candidates are runs of adjectives and
 * nouns (no stop words, at most four words) — "card payments", "central library". Each word scores
 * degree/frequency (words that occur inside longer phrases score higher than ones that stand
 * alone), a phrase scores the sum of its words, and repeated phrases add up.
 */
export function keyphrases(parsed: ParsedText, limit: number): Keyphrase[] {
  const candidates: string[][] = [];
  for (const sentence of parsed.sentences) {
    let run: Token[] = [];
    const flush = () => {
      // A lone adjective ("new", "good") is not a keyphrase.
      while (run.length > 0 && run[run.length - 1]?.pos === 'ADJ') run.pop();
      if (run.length > 0) candidates.push(run.map((t) => t.normal));
      run = [];
    };
    for (const t of sentence.tokens) {
      const fits = t.type === 'word' && !t.stop && t.normal.length > 1 && PHRASE_POS.has(t.pos);
      if (fits && run.length < MAX_WORDS) run.push(t);
      else {
        flush();
        if (fits) run.push(t);
      }
    }
    flush();
  }
  const frequency = new Map<string, number>();
  const degree = new Map<string, number>();
  for (const words of candidates) {
    for (const w of words) {
      frequency.set(w, (frequency.get(w) ?? 0) + 1);
      degree.set(w, (degree.get(w) ?? 0) + words.length);
    }
  }
  const phrases = new Map<string, Keyphrase>();
  for (const words of candidates) {
    const phrase = words.join(' ');
    const score = words.reduce((s, w) => s + (degree.get(w) ?? 0) / (frequency.get(w) ?? 1), 0);
    const seen = phrases.get(phrase);
    if (seen) {
      seen.count++;
      seen.score += score;
    } else phrases.set(phrase, { phrase, score, count: 1 });
  }
  return [...phrases.values()]
    .sort((a, b) => b.score - a.score || a.phrase.localeCompare(b.phrase))
    .slice(0, limit)
    .map((k) => ({ ...k, score: Math.round(k.score * 100) / 100 }));
}
