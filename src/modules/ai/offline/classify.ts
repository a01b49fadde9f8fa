import type { Parser } from './nlp.ts';
import { bm25Vector, centroid, cosine, inverseDocumentFrequency } from './vectors.ts';

/** A label the caller wants texts sorted into; description and examples make it recognisable. */
export interface LabelSpec {
  name: string;
  description?: string;
  examples?: string[];
}

export interface Classification {
  /** The best label, or null when the text shares no content word with any label. */
  label: string | null;
  /** The best label's share of all scores, in [0, 1] (1/labels when nothing separates them). */
  confidence: number;
  /** Every label with its score (cosine similarity in [0, 1]), best first. */
  scores: { label: string; score: number }[];
}

/**
 * Offline classification by similarity (a Rocchio / nearest-centroid classifier):
 *
 * 1. Each label contributes documents: its name and description together, and each example.
 *    Texts become content-word stems (no stop words), so `refunds` matches `refund`.
 * 2. Terms are weighted by BM25 with IDF learnt over all labels' documents, so a word every label
 *    uses (e.g. `order`) counts little and a word only one label uses counts a lot.
 * 3. A label's prototype is the centroid of its documents' unit vectors; the text's score for a
 *    label is the cosine similarity of its vector to that prototype.
 *
 * Lexical, so it needs shared words: paraphrases with no word in common with a label's name,
 * description or examples score 0. More examples per label help most.
 */
export function classifyOffline(parser: Parser, text: string, labels: readonly LabelSpec[]): Classification {
  const docsPerLabel = labels.map((l) => [
    parser.terms(`${l.name.replace(/[_-]+/g, ' ')}. ${l.description ?? ''}`),
    ...(l.examples ?? []).map((e) => parser.terms(e)),
  ]);
  const all = docsPerLabel.flat();
  const idf = inverseDocumentFrequency(all);
  const avg = all.reduce((s, d) => s + d.length, 0) / Math.max(all.length, 1);
  const prototypes = docsPerLabel.map((docs) => centroid(docs.map((d) => bm25Vector(d, idf, all.length, avg))));
  const query = bm25Vector(parser.terms(text), idf, all.length, avg);
  const scores = labels
    .map((l, i) => ({ label: l.name, score: round(cosine(query, prototypes[i] ?? new Map())) }))
    .sort((a, b) => b.score - a.score);
  const total = scores.reduce((s, x) => s + x.score, 0);
  const best = scores[0];
  if (!best || best.score === 0) return { label: null, confidence: 0, scores };
  return { label: best.label, confidence: round(best.score / total), scores };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
