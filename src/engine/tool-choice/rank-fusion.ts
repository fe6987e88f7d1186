/**
 * Reciprocal rank fusion's constant (Cormack, Clarke and Büttcher, 2009): with 60, being near the top
 * of both rankings beats being first in only one, and a first place in one still beats a middling
 * place in both.
 */
const RRF_K = 60;

/**
 * Several rankings of the same things merged into one, best first: each thing scores 1 / (60 + rank)
 * in each ranking it appears in (rank from 1), summed. Only places are used, never the rankings' own
 * scores, so rankings on unlike scales (BM25, cosine similarity) combine fairly. Ties keep the order
 * of the first ranking a thing appears in.
 */
export function fuseRankings<T>(rankings: readonly (readonly T[])[]): T[] {
  const scores = new Map<T, number>();
  for (const ranking of rankings) {
    ranking.forEach((item, index) => scores.set(item, (scores.get(item) ?? 0) + 1 / (RRF_K + index + 1)));
  }
  return [...scores].sort((a, b) => b[1] - a[1]).map(([item]) => item);
}
