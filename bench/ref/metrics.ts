// Clustering quality against known labels. Soft clusters are scored per membership; ARI and NMI need a
// hard labelling, for which each node takes the first cluster (in output order) that contains it — the
// same rule the reference uses for its own `labels`.

export function purity(clusters: number[][], labels: number[]): number {
  let hits = 0;
  let total = 0;
  for (const c of clusters) {
    const counts = new Map<number, number>();
    for (const i of c) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
    hits += Math.max(0, ...counts.values());
    total += c.length;
  }
  return total > 0 ? hits / total : 0;
}

/** Share of memberships that sit in clusters of 3–15 nodes (summarisable sizes). */
export function smallShare(clusters: number[][], lo = 3, hi = 15): number {
  let inRange = 0;
  let total = 0;
  for (const c of clusters) {
    total += c.length;
    if (c.length >= lo && c.length <= hi) inRange += c.length;
  }
  return total > 0 ? inRange / total : 0;
}

export function hardLabels(clusters: number[][], n: number): number[] {
  const out = new Array<number>(n).fill(-1);
  clusters.forEach((c, ci) => {
    for (const i of c) if (out[i] < 0) out[i] = ci;
  });
  return out;
}

function contingency(a: number[], b: number[]) {
  const table = new Map<string, number>();
  const ra = new Map<number, number>();
  const rb = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    const key = `${a[i]}|${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    ra.set(a[i], (ra.get(a[i]) ?? 0) + 1);
    rb.set(b[i], (rb.get(b[i]) ?? 0) + 1);
  }
  return { table, ra, rb, n: a.length };
}

export function adjustedRandIndex(a: number[], b: number[]): number {
  const { table, ra, rb, n } = contingency(a, b);
  const c2 = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  for (const v of ra.values()) sa += c2(v);
  let sb = 0;
  for (const v of rb.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}

/** Normalised mutual information, arithmetic-mean normalisation (scikit-learn's default). */
export function normalizedMutualInfo(a: number[], b: number[]): number {
  const { table, ra, rb, n } = contingency(a, b);
  const entropy = (m: Map<number, number>) => {
    let h = 0;
    for (const v of m.values()) h -= (v / n) * Math.log(v / n);
    return h;
  };
  let mi = 0;
  for (const [key, v] of table) {
    const [x, y] = key.split('|').map(Number);
    mi += (v / n) * Math.log((n * v) / (ra.get(x)! * rb.get(y)!));
  }
  const ha = entropy(ra);
  const hb = entropy(rb);
  const denom = (ha + hb) / 2;
  return denom > 0 ? mi / denom : 1;
}
