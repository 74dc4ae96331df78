// k-means for the Gaussian mixture's start (gmm.ts), as scikit-learn's GaussianMixture initialises it.
import type { Rng } from './random';

/** k-means++ seeding (greedy, 2 + ln k trials, as sklearn) then Lloyd iterations; returns hard labels. */
export function kmeans(x: Float64Array, n: number, d: number, k: number, rng: Rng, maxIter = 100): Int32Array {
  const centers = new Float64Array(k * d);
  const closest = new Float64Array(n);
  // Squared distance from point i to row p of `from`, abandoned (returning something > bound) once past `bound`:
  // partial sums of squares only grow, so every comparison below comes out as with the full sum.
  const distance = (i: number, from: Float64Array, p: number, bound: number): number => {
    let s = 0;
    const xi = i * d;
    const o = p * d;
    for (let j = 0; j < d; j++) {
      const t = x[xi + j] - from[o + j];
      s += t * t;
      if (s > bound) return s;
    }
    return s;
  };
  const first = rng.int(n);
  centers.set(x.subarray(first * d, first * d + d), 0);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = distance(i, centers, 0, Infinity);
    potential += closest[i];
  }
  const trials = 2 + Math.floor(Math.log(k));
  const candidateDist = new Float64Array(n);
  const bestDist = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let bestCandidate = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      let candidate: number;
      if (potential <= 0) {
        candidate = rng.int(n);
      } else {
        let target = rng.next() * potential;
        candidate = n - 1;
        for (let i = 0; i < n; i++) {
          target -= closest[i];
          if (target <= 0) {
            candidate = i;
            break;
          }
        }
      }
      let pot = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.min(closest[i], distance(i, x, candidate, closest[i]));
        candidateDist[i] = v;
        pot += v;
      }
      if (pot < bestPotential) {
        bestPotential = pot;
        bestCandidate = candidate;
        bestDist.set(candidateDist);
      }
    }
    centers.set(x.subarray(bestCandidate * d, bestCandidate * d + d), c * d);
    closest.set(bestDist);
    potential = bestPotential;
  }
  const labels = new Int32Array(n).fill(-1);
  const counts = new Float64Array(k);
  for (let iter = 0; iter < maxIter; iter++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      // Start from the current centre (a tight bound), then the first strictly nearer centre, ties to the lowest index.
      let best = labels[i] < 0 ? 0 : labels[i];
      let bestD = distance(i, centers, best, Infinity);
      for (let c = 0; c < k; c++) {
        if (c === best) continue;
        const v = distance(i, centers, c, bestD);
        if (v < bestD || (v === bestD && c < best)) {
          bestD = v;
          best = c;
        }
      }
      if (labels[i] !== best) {
        labels[i] = best;
        changed++;
      }
    }
    if (changed === 0) break;
    centers.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      counts[c]++;
      for (let j = 0; j < d; j++) centers[c * d + j] += x[i * d + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue; // keep an emptied centre where it was (its row is zero); rare with ++ seeding
      for (let j = 0; j < d; j++) centers[c * d + j] /= counts[c];
    }
  }
  return labels;
}
