import { contentStems, type ParsedText } from './nlp.ts';
import { bm25Vector, cosine, inverseDocumentFrequency } from './vectors.ts';

export interface ExtractiveSummary {
  /** The chosen sentences joined with a space, in their original order. */
  summary: string;
  /** The chosen sentences with their position in the text and TextRank score. */
  sentences: { text: string; index: number; score: number }[];
}

/** Sentences beyond this are not ranked (TextRank is quadratic in sentences). */
const MAX_SENTENCES = 1500;
const DAMPING = 0.85;

/**
 * Extractive summary by TextRank: sentences are nodes, edges are the cosine similarity of their
 * BM25 vectors (content-word stems, IDF over the text's sentences), and PageRank finds the
 * sentences most similar to many others — the ones the rest of the text is about. The top
 * `maxSentences` are returned in their original order, verbatim: nothing is generated.
 */
export function summarizeExtractive(parsed: ParsedText, maxSentences: number): ExtractiveSummary {
  const sentences = parsed.sentences.slice(0, MAX_SENTENCES).filter((s) => s.text.trim().length > 0);
  if (sentences.length <= maxSentences) {
    return {
      summary: sentences.map((s) => s.text.trim()).join(' '),
      sentences: sentences.map((s, index) => ({ text: s.text.trim(), index, score: 1 })),
    };
  }
  const terms = sentences.map((s) => contentStems(s.tokens));
  const idf = inverseDocumentFrequency(terms);
  const avg = terms.reduce((s, t) => s + t.length, 0) / terms.length;
  const vectors = terms.map((t) => bm25Vector(t, idf, terms.length, avg));
  const n = vectors.length;
  const weights = vectors.map((a, i) => vectors.map((b, j) => (i === j ? 0 : cosine(a, b))));
  const outSum = weights.map((row) => row.reduce((s, w) => s + w, 0));
  let rank = new Array<number>(n).fill(1 / n);
  for (let iteration = 0; iteration < 100; iteration++) {
    const next = rank.map((_, i) => {
      let incoming = 0;
      for (let j = 0; j < n; j++) {
        const w = weights[j]?.[i] ?? 0;
        const out = outSum[j] ?? 0;
        if (w > 0 && out > 0) incoming += (w / out) * (rank[j] ?? 0);
      }
      return (1 - DAMPING) / n + DAMPING * incoming;
    });
    const delta = next.reduce((s, x, i) => s + Math.abs(x - (rank[i] ?? 0)), 0);
    rank = next;
    if (delta < 1e-6) break;
  }
  const chosen = rank
    .map((score, index) => ({ score, index }))
    // Ties (e.g. sentences sharing nothing with the rest) go to the earlier sentence.
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, maxSentences)
    .sort((a, b) => a.index - b.index)
    .map(({ score, index }) => ({ text: sentences[index]?.text.trim() ?? '', index, score: round(score * n) }));
  return { summary: chosen.map((s) => s.text).join(' '), sentences: chosen };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
