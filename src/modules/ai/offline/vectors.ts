/**
 * Sparse term vectors for the offline engine: BM25 term weights, cosine similarity. Small and
 * dependency-free on purpose, so the method the README describes is exactly what runs.
 */
export type Vector = Map<string, number>;

/** BM25's saturation and length normalisation (the usual k1 = 1.2, b = 0.75). */
const K1 = 1.2;
const B = 0.75;

/** BM25 inverse document frequency over a collection of term lists; always positive. */
export function inverseDocumentFrequency(docs: readonly string[][]): Map<string, number> {
  const df = new Map<string, number>();
  for (const doc of docs) for (const term of new Set(doc)) df.set(term, (df.get(term) ?? 0) + 1);
  const n = docs.length;
  const idf = new Map<string, number>();
  for (const [term, f] of df) idf.set(term, Math.log(1 + (n - f + 0.5) / (f + 0.5)));
  return idf;
}

/**
 * A document's BM25 vector: each term's saturated frequency times its IDF. Terms unseen in the
 * collection get the IDF of a term seen in no document (the rarest possible), so a query word
 * that no label mentions does not count for any label but still lengthens the query vector.
 */
export function bm25Vector(terms: readonly string[], idf: Map<string, number>, n: number, avgLength: number): Vector {
  const tf = new Map<string, number>();
  for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
  const unseen = Math.log(1 + (n + 0.5) / 0.5);
  const norm = K1 * (1 - B + (B * terms.length) / Math.max(avgLength, 1));
  const v: Vector = new Map();
  for (const [t, f] of tf) v.set(t, ((f * (K1 + 1)) / (f + norm)) * (idf.get(t) ?? unseen));
  return v;
}

export function cosine(a: Vector, b: Vector): number {
  let dot = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const [t, w] of small) dot += w * (large.get(t) ?? 0);
  if (dot === 0) return 0;
  return dot / (norm(a) * norm(b));
}

export function norm(v: Vector): number {
  let s = 0;
  for (const w of v.values()) s += w * w;
  return Math.sqrt(s);
}

/** Sum of unit vectors: the centroid direction of a set of documents (Rocchio's prototype). */
export function centroid(vectors: readonly Vector[]): Vector {
  const c: Vector = new Map();
  for (const v of vectors) {
    const n = norm(v);
    if (n === 0) continue;
    for (const [t, w] of v) c.set(t, (c.get(t) ?? 0) + w / n);
  }
  return c;
}
