// k-means for the Gaussian mixture's start (gmm.ts), as scikit-learn's GaussianMixture initialises it.
//
// It runs hundreds of times per clustering call (every BIC candidate's fit starts here), so it skips work it can
// prove cannot change the result: the triangle inequality tells it when a point's distance to a centre need not be
// computed (k-means++ seeding and Elkan's bounds in Lloyd's loop). Every skip is proven with bounds on TRUE
// distances that are widened by more than floating-point rounding can move a computed one, so a skip only happens
// when the computed comparison it replaces would have come out the same way: the labels and the RNG draws are the
// ones the plain loops (`kmeansPlain`, kept below) produce, bit for bit, not just "equally good" ones.
import type { Rng } from './random';

// Relative and absolute slack between a true Euclidean distance and sqrt of its computed square. Computing a squared
// distance in d dimensions is off by at most (d + 2)·2^-53 relative (positive terms, no cancellation) plus
// d·2^-1075 absolute (subnormal squares); RHO and TAU are orders of magnitude above both, and also cover the few
// roundings in the bound arithmetic itself.
const TAU = 1e-150;
// Coordinates beyond this could overflow a squared distance, where the relative error bound no longer holds.
const SAFE_COORDINATE = 1e100;
// Each addition/subtraction of bounds rounds by at most 2^-53 relative; these nudge the result outward past that.
const ROUND_UP = 1 + 2 ** -50;
const ROUND_DOWN = 1 - 2 ** -50;

/** Squared distance from row `ar` of `a` to row `br` of `b`, abandoned (returning something > bound) once past `bound`. */
function squaredDistance(a: Float64Array, ar: number, b: Float64Array, br: number, d: number, bound: number): number {
  let s = 0;
  const ao = ar * d;
  const bo = br * d;
  for (let j = 0; j < d; j++) {
    const t = a[ao + j] - b[bo + j];
    s += t * t;
    if (s > bound) return s;
  }
  return s;
}

/**
 * k-means++ seeding (greedy, 2 + ln k trials, as sklearn) then Lloyd iterations; returns hard labels: each point's
 * label is the lowest-index centre at the least computed squared distance, after at most `maxIter` assignment
 * steps (fewer once a step changes no label). An emptied centre's row becomes zero, as in `kmeansPlain`.
 */
export function kmeans(x: Float64Array, n: number, d: number, k: number, rng: Rng, maxIter = 100): Int32Array {
  for (let i = 0, end = n * d; i < end; i++) {
    // NaN or huge coordinates break the error bounds the skips rely on; such input gets the plain loops.
    if (!(Math.abs(x[i]) <= SAFE_COORDINATE)) return kmeansPlain(x, n, d, k, rng, maxIter);
  }
  if (k < 1) throw new RangeError('k-means needs at least one centre.');
  const RHO = Math.max(2 ** -40, (d + 8) * 2 ** -50);
  const upperOf = (squared: number): number => Math.sqrt(squared) * (1 + RHO) + TAU;
  const lowerOf = (squared: number): number => Math.sqrt(squared) * (1 - RHO) - TAU;

  // ---- k-means++ seeding. Seeds are data rows; `assign[i]` is the lowest-index seed at distance `closest[i]`
  // (seeds are added in index order and replace the assignment only when strictly nearer).
  const seedRow = new Int32Array(k);
  const assign = new Int32Array(n);
  const closest = new Float64Array(n);
  // A candidate at least this far (lower bound) from i's seed is no nearer to i than that seed: with u an upper
  // bound on the distance i–seed, distance i–candidate ≥ (candidate–seed) − u > u, with room for rounding.
  const reach = new Float64Array(n);
  const setReach = (i: number): void => {
    reach[i] = 2 * upperOf(closest[i]) * (1 + RHO) + 2 * TAU;
  };
  const first = rng.int(n);
  seedRow[0] = first;
  let potential = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = squaredDistance(x, i, x, first, d, Infinity);
    potential += closest[i];
    setReach(i);
  }
  const trials = 2 + Math.floor(Math.log(k));
  let candidateDist = new Float64Array(n);
  let bestDist = new Float64Array(n);
  const seedGap = new Float64Array(k); // lower bound on the distance from the current candidate to each seed
  for (let c = 1; c < k; c++) {
    let bestCandidate = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const candidate = drawCandidate(closest, potential, n, rng);
      for (let s = 0; s < c; s++) seedGap[s] = lowerOf(squaredDistance(x, candidate, x, seedRow[s], d, Infinity));
      let pot = 0;
      for (let i = 0; i < n; i++) {
        let v = closest[i];
        // Skipped points keep closest[i]: the computed distance would have been ≥ it, and min() would keep it.
        // The rest are mostly near, where abandoning early rarely pays for its unpredictable branch: summed in full.
        if (!(seedGap[assign[i]] > reach[i])) {
          const s = squaredDistance(x, i, x, candidate, d, Infinity);
          if (s < v) v = s;
        }
        candidateDist[i] = v;
        pot += v; // same values, same order as the plain loop: the same potential to the last bit
      }
      if (pot < bestPotential) {
        bestPotential = pot;
        bestCandidate = candidate;
        const keep = bestDist;
        bestDist = candidateDist;
        candidateDist = keep;
      }
    }
    seedRow[c] = bestCandidate;
    for (let i = 0; i < n; i++) {
      if (bestDist[i] < closest[i]) {
        closest[i] = bestDist[i];
        assign[i] = c;
        setReach(i);
      }
    }
    potential = bestPotential;
  }

  const labels = new Int32Array(n).fill(-1);
  if (maxIter < 1 || n === 0) return labels;
  // The first assignment step is already done: the seeds are data rows, so the plain loop's first step computes the
  // very distances the seeding did, and picks the lowest-index nearest seed, which is `assign`.
  labels.set(assign);

  // ---- Lloyd with Elkan's bounds. upper[i] ≥ the true distance from i to its centre; for every centre c a lower
  // bound on the true distance i–c is kept as lowerPlusDrift[i·k + c] − drift[c], where drift[c] ≥ how far c has
  // moved in total, so a move costs O(k) instead of O(n·k) updates. A centre is skipped for i when its lower bound,
  // or its distance to i's best centre minus upper[i], is strictly (with slack) beyond upper[i]: then its computed
  // squared distance is strictly above the best one and could not win, not even a tie. A point whose upper bound is
  // under half the gap from its centre to the nearest other centre skips every centre.
  const upper = new Float64Array(n);
  const lowerPlusDrift = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    upper[i] = upperOf(closest[i]);
    // closest[i] is the least distance to ANY seed, so it bounds them all from below.
    lowerPlusDrift.fill(Math.max(0, lowerOf(closest[i])), i * k, i * k + k);
  }
  const drift = new Float64Array(k);
  let centers = new Float64Array(k * d);
  let previous = new Float64Array(k * d);
  for (let c = 0; c < k; c++) centers.set(x.subarray(seedRow[c] * d, seedRow[c] * d + d), c * d);
  const counts = new Float64Array(k);
  const moved = new Float64Array(k);
  const gapLower = new Float64Array(k * k); // lower bound on the true distance between centres c and e
  const halfGap = new Float64Array(k);
  const slackUp = 1 + RHO;
  const slackDown = 1 - RHO;
  for (let iter = 1; iter < maxIter; iter++) {
    // The update the plain loop does after a step that changed labels: same sums in the same order.
    const keep = previous;
    previous = centers;
    centers = keep;
    recomputeCentres(x, n, d, k, labels, centers, counts);
    for (let c = 0; c < k; c++) {
      moved[c] = upperOf(squaredDistance(previous, c, centers, c, d, Infinity));
      drift[c] = (drift[c] + moved[c]) * ROUND_UP;
    }
    halfGap.fill(Infinity);
    for (let c = 0; c < k; c++) {
      for (let e = c + 1; e < k; e++) {
        const g = lowerOf(squaredDistance(centers, c, centers, e, d, Infinity));
        gapLower[c * k + e] = g;
        gapLower[e * k + c] = g;
        if (g < halfGap[c]) halfGap[c] = g;
        if (g < halfGap[e]) halfGap[e] = g;
      }
    }
    for (let c = 0; c < k; c++) halfGap[c] = 0.5 * halfGap[c] * slackDown - TAU;

    let changed = 0;
    for (let i = 0; i < n; i++) {
      const a = labels[i];
      let u = (upper[i] + moved[a]) * ROUND_UP;
      let uSafe = u * slackUp + TAU;
      if (uSafe < halfGap[a]) {
        upper[i] = u;
        continue;
      }
      const row = i * k;
      let best = a;
      let bestD = Infinity;
      let tight = false;
      for (let c = 0; c < k; c++) {
        if (c === a) continue;
        if ((lowerPlusDrift[row + c] - drift[c]) * slackDown - TAU > uSafe) continue;
        if ((gapLower[best * k + c] - u) * slackDown - TAU > uSafe) continue;
        if (!tight) {
          // Only now is the distance to the own centre worth computing exactly; then test c again.
          tight = true;
          bestD = squaredDistance(x, i, centers, a, d, Infinity);
          u = upperOf(bestD);
          uSafe = u * slackUp + TAU;
          lowerPlusDrift[row + a] = (Math.max(0, lowerOf(bestD)) + drift[a]) * ROUND_DOWN;
          if ((lowerPlusDrift[row + c] - drift[c]) * slackDown - TAU > uSafe) continue;
          if ((gapLower[best * k + c] - u) * slackDown - TAU > uSafe) continue;
        }
        // Abandoned past bestD, the partial sum is still a lower bound (sums of squares only grow).
        const v = squaredDistance(x, i, centers, c, d, bestD);
        lowerPlusDrift[row + c] = (Math.max(0, lowerOf(v)) + drift[c]) * ROUND_DOWN;
        // Strictly nearer replaces; a tie goes to the lower index: the plain loop's rule, so the same label.
        if (v < bestD || (v === bestD && c < best)) {
          best = c;
          bestD = v;
          u = upperOf(v);
          uSafe = u * slackUp + TAU;
        }
      }
      upper[i] = u;
      if (best !== a) {
        labels[i] = best;
        changed++;
      }
    }
    if (changed === 0) break;
  }
  return labels;
}

/** The straightforward seeding and Lloyd loop `kmeans` reproduces; used as is for input outside its error bounds. */
export function kmeansPlain(x: Float64Array, n: number, d: number, k: number, rng: Rng, maxIter = 100): Int32Array {
  const centers = new Float64Array(k * d);
  const closest = new Float64Array(n);
  const distance = (i: number, from: Float64Array, p: number, bound: number): number =>
    squaredDistance(x, i, from, p, d, bound);
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
      const candidate = drawCandidate(closest, potential, n, rng);
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
    recomputeCentres(x, n, d, k, labels, centers, counts);
  }
  return labels;
}

/**
 * k-means++'s draw: a point with probability proportional to its squared distance to the nearest seed (uniform when
 * every point sits on a seed). The sequential subtraction defines which point is drawn (a prefix sum rounds
 * differently), so both k-means above share this one.
 */
function drawCandidate(closest: Float64Array, potential: number, n: number, rng: Rng): number {
  if (potential <= 0) return rng.int(n);
  let target = rng.next() * potential;
  for (let i = 0; i < n; i++) {
    target -= closest[i];
    if (target <= 0) return i;
  }
  return n - 1;
}

/** Lloyd's update: each centre the mean of its points, summed in index order; an emptied centre's row is zero. */
function recomputeCentres(x: Float64Array, n: number, d: number, k: number, labels: Int32Array, centers: Float64Array, counts: Float64Array): void {
  centers.fill(0);
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    counts[c]++;
    for (let j = 0; j < d; j++) centers[c * d + j] += x[i * d + j];
  }
  for (let c = 0; c < k; c++) {
    if (counts[c] === 0) continue; // rare with ++ seeding
    for (let j = 0; j < d; j++) centers[c * d + j] /= counts[c];
  }
}
