// Gaussian mixture with full covariances, fitted by EM from a k-means++ / Lloyd start — the same model,
// initialisation and stopping rule as scikit-learn's GaussianMixture (the RAPTOR reference), written for
// the small reduced dimension (~10) where a full covariance costs almost nothing.
import { EM_WASM_BASE64 } from './emKernel';
import { kmeans } from './kmeans';
import { KernelPool } from './wasmPool';
import { cholesky } from './linalg';
import { createRng, deriveSeed, type Rng } from './random';
import { throwIfAborted } from '../ports';

const LOG_2PI = Math.log(2 * Math.PI);
const EPS = 2.220446049250313e-16;
/**
 * Log-density gap beyond which a component's posterior is treated as exactly 0 (e^-14 ≈ 8e-7): far below the
 * 0.1 membership threshold and the 1e-3 convergence tolerance, and it lets the E-step skip most components.
 * At 20 (2e-9) every bench set (blobs and text, n = 600–3,000) came out with the very same clusters, at ~15%
 * more clustering time: the partial Mahalanobis sums run longer before a component is ruled out, and ~30% more
 * near-zero posteriors go through the M-step. At 10 the text set of 3,000 changed slightly.
 */
const CUTOFF = 14;

export interface GmmOptions {
  /** Added to covariance diagonals, as sklearn's reg_covar. */
  regCovar?: number;
  /** Stop when the mean log-likelihood changes by less than this (sklearn's tol). */
  tol?: number;
  maxIter?: number;
  /** Covariance model: full (as the reference), diagonal or spherical. */
  covariance?: CovarianceType;
  /** Number of points the BIC speaks for (default n): a fit on a sample of a larger set scores as if on all of it. */
  bicPoints?: number;
}

export type CovarianceType = 'full' | 'diag' | 'spherical';

export interface GmmFit {
  k: number;
  d: number;
  weights: Float64Array;
  means: Float64Array;
  /** Lower Cholesky factors of the covariances, k×d×d. */
  chol: Float64Array;
  logDet: Float64Array;
  /** Posterior probabilities, n×k row-major, under the final parameters. */
  resp: Float64Array;
  meanLogLikelihood: number;
  bic: number;
}

/** Fit a k-component full-covariance GMM to n×d row-major data. Deterministic given `seed`. */
export function fitGmm(x: Float64Array, n: number, d: number, k: number, seed: number, opts: GmmOptions = {}): GmmFit {
  const reg = opts.regCovar ?? 1e-6;
  const covariance = opts.covariance ?? 'full';
  const rng = createRng(seed);
  const fit: GmmFit = {
    k,
    d,
    weights: new Float64Array(k),
    means: new Float64Array(k * d),
    chol: new Float64Array(k * d * d),
    logDet: new Float64Array(k),
    resp: new Float64Array(n * k),
    meanLogLikelihood: -Infinity,
    bic: Infinity,
  };
  const post = Posteriors.ofLabels(kmeans(x, n, d, k, rng, 30), k, x, d);
  mStep(x, n, d, fit, post, reg, covariance);
  return runEm(x, n, d, fit, post, opts);
}

/**
 * Fit k = start.k components to all n points, starting EM from a fit on a sample of them instead of from k-means:
 * the sample's components are already close, so a few EM steps on everything finish the job.
 */
export function refitGmm(x: Float64Array, n: number, d: number, start: GmmFit, opts: GmmOptions = {}): GmmFit {
  const k = start.k;
  const fit: GmmFit = {
    k,
    d,
    weights: Float64Array.from(start.weights),
    means: Float64Array.from(start.means),
    chol: Float64Array.from(start.chol),
    logDet: Float64Array.from(start.logDet),
    resp: new Float64Array(n * k),
    meanLogLikelihood: -Infinity,
    bic: Infinity,
  };
  const post = Posteriors.empty(n, k, x, d);
  eStep(x, n, d, fit, post);
  mStep(x, n, d, fit, post, opts.regCovar ?? 1e-6, opts.covariance ?? 'full');
  return runEm(x, n, d, fit, post, opts);
}

/**
 * EM tolerance while sweeping k. Ten times sklearn's: long EM tails barely move BIC, and on every bench
 * dataset the chosen clusters came out the same (0.1 also did, nearly; 1e-2 keeps a margin).
 */
const SWEEP_TOL = 1e-2;

/** Run EM on from a fit's parameters (e.g. one stopped at a looser tolerance) to convergence. */
export function continueEm(x: Float64Array, n: number, d: number, fit: GmmFit, opts: GmmOptions = {}): GmmFit {
  const copy = { ...fit, weights: Float64Array.from(fit.weights), means: Float64Array.from(fit.means), chol: Float64Array.from(fit.chol), logDet: Float64Array.from(fit.logDet), resp: new Float64Array(fit.resp.length) };
  return runEm(x, n, d, copy, Posteriors.ofDense(fit.resp, fit.k, x, d), opts);
}

/** EM from the current parameters to convergence (sklearn's tol on the mean log-likelihood), then BIC. */
function runEm(x: Float64Array, n: number, d: number, fit: GmmFit, post: Posteriors, opts: GmmOptions): GmmFit {
  const reg = opts.regCovar ?? 1e-6;
  const tol = opts.tol ?? 1e-3;
  const maxIter = opts.maxIter ?? 100;
  const covariance = opts.covariance ?? 'full';
  let previous = -Infinity;
  for (let iter = 0; iter < maxIter; iter++) {
    const ll = eStep(x, n, d, fit, post);
    mStep(x, n, d, fit, post, reg, covariance);
    if (Math.abs(ll - previous) < tol) break;
    previous = ll;
  }
  // Final E-step so that the posteriors and the likelihood match the returned parameters (as sklearn does).
  fit.meanLogLikelihood = eStep(x, n, d, fit, post);
  post.toDense(fit.resp, fit.k);
  post.kernel?.release();
  const points = opts.bicPoints ?? n;
  fit.bic = -2 * points * fit.meanLogLikelihood + freeParameters(fit.k, d, covariance) * Math.log(points);
  return fit;
}

function freeParameters(k: number, d: number, covariance: CovarianceType): number {
  const covParams = covariance === 'full' ? (d * (d + 1)) / 2 : covariance === 'diag' ? d : 1;
  return k * covParams + k * d + k - 1;
}

/**
 * The lowest BIC any k-component fit could reach. Every covariance is at least regCovar·I, so no point's
 * log-density can exceed −d/2·(log 2π + log regCovar); the likelihood term is bounded, the penalty grows with k.
 * Once this floor is above the best BIC found, no larger k can win and the sweep can stop without changing its answer.
 */
export function bicFloor(n: number, d: number, k: number, opts: GmmOptions = {}): number {
  const maxLogDensity = -0.5 * d * (LOG_2PI + Math.log(opts.regCovar ?? 1e-6));
  return -2 * n * maxLogDensity + freeParameters(k, d, opts.covariance ?? 'full') * Math.log(n);
}

/**
 * Posterior responsibilities during EM, kept sparse: per point, only the components whose posterior is not exactly
 * 0 (after the E-step's cutoff, typically 1–4 of up to 49), in component order. The M-step and the E-step's
 * normalisation then touch those alone instead of scanning n×k mostly-zero entries; sums run in the same order as
 * over a dense matrix, so the fit is the same bit for bit. The dense matrix (GmmFit.resp) is written once, at the end.
 */
class Posteriors {
  offsets: Int32Array;
  comps: Int32Array;
  values: Float64Array;
  /** Each point's most probable component (ties to the lowest index): where its next E-step starts. */
  readonly top: Int32Array;
  /** The WebAssembly E-step, with the points copied into its memory; absent where WebAssembly is not available. */
  readonly kernel?: EmKernel;

  private constructor(
    readonly n: number,
    k: number,
    x: Float64Array,
    d: number,
  ) {
    const kernel = wasmEm ? EmKernel.create(x, n, d, k) : undefined;
    if (kernel) {
      this.kernel = kernel;
      ({ offsets: this.offsets, comps: this.comps, values: this.values, top: this.top } = kernel);
    } else {
      this.offsets = new Int32Array(n + 1);
      this.comps = new Int32Array(n);
      this.values = new Float64Array(n);
      this.top = new Int32Array(n);
    }
  }

  /** No posteriors yet (every point starts its first E-step from component 0). */
  static empty(n: number, k: number, x: Float64Array, d: number): Posteriors {
    return new Posteriors(n, k, x, d);
  }

  /** Hard assignments (k-means labels): one entry of 1 per point. */
  static ofLabels(labels: Int32Array, k: number, x: Float64Array, d: number): Posteriors {
    const n = labels.length;
    const post = new Posteriors(n, k, x, d);
    for (let i = 0; i < n; i++) {
      post.offsets[i + 1] = i + 1;
      post.comps[i] = labels[i];
      post.values[i] = 1;
      post.top[i] = labels[i];
    }
    return post;
  }

  static ofDense(resp: Float64Array, k: number, x: Float64Array, d: number): Posteriors {
    const n = resp.length / k;
    let nonzero = 0;
    for (let e = 0; e < n * k; e++) if (resp[e] !== 0) nonzero++;
    const post = new Posteriors(n, k, x, d);
    post.reserve(nonzero, 0);
    let p = 0;
    for (let i = 0; i < n; i++) {
      let top = 0;
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c];
        if (r > resp[i * k + top]) top = c;
        if (r === 0) continue;
        post.comps[p] = c;
        post.values[p++] = r;
      }
      post.offsets[i + 1] = p;
      post.top[i] = top;
    }
    return post;
  }

  /** Room for at least `size` entries, keeping the first `used` (the kernel's memory always has room for n×k). */
  reserve(size: number, used: number): void {
    if (size <= this.comps.length) return;
    const capacity = Math.max(size, 2 * this.comps.length);
    const comps = new Int32Array(capacity);
    const values = new Float64Array(capacity);
    comps.set(this.comps.subarray(0, used));
    values.set(this.values.subarray(0, used));
    this.comps = comps;
    this.values = values;
  }

  toDense(resp: Float64Array, k: number): void {
    resp.fill(0);
    for (let i = 0; i < this.n; i++) for (let p = this.offsets[i]; p < this.offsets[i + 1]; p++) resp[i * k + this.comps[p]] = this.values[p];
  }
}

let wasmEm = true;

/** Tests compare the WebAssembly EM with the JavaScript one; nothing else should need this. Returns whether it can run here. */
export function useWasmEm(enabled: boolean): boolean {
  wasmEm = enabled;
  return emKernels.available();
}

type EStepExport = (
  n: number, d: number, k: number, cutoff: number,
  pX: number, pInv: number, pShift: number, pConst: number, pLogp: number,
  pTop: number, pOff: number, pComps: number, pVals: number,
) => number; // prettier-ignore
type MStatsExport = (n: number, d: number, k: number, pX: number, pOff: number, pComps: number, pVals: number, pNk: number, pMeans: number, pCovs: number, pDiff: number) => void;

/**
 * The E-step and M-step sums of em.wat over one point set, in a memory leased from the pool for one fit: the points,
 * the per-step parameters (inverse factors, shifts, constants), the M-step's sums, and the sparse posteriors with room
 * for all n×k. runEm releases it once the fit's dense posteriors are written.
 */
class EmKernel {
  readonly invAt: Float64Array;
  readonly shiftAt: Float64Array;
  readonly constantAt: Float64Array;
  readonly nkAt: Float64Array;
  readonly meansAt: Float64Array;
  readonly covsAt: Float64Array;
  readonly offsets: Int32Array;
  readonly comps: Int32Array;
  readonly values: Float64Array;
  readonly top: Int32Array;

  private constructor(
    private readonly runE: () => number,
    private readonly runM: () => void,
    /** Hands the memory back to the pool; the views above must not be used afterwards. */
    readonly release: () => void,
    buffer: ArrayBuffer,
    layout: Record<'x' | 'inv' | 'shift' | 'constant' | 'logp' | 'nk' | 'means' | 'covs' | 'diff' | 'values' | 'top' | 'offsets' | 'comps', number>,
    n: number,
    d: number,
    k: number,
  ) {
    this.nkAt = new Float64Array(buffer, layout.nk, k);
    this.meansAt = new Float64Array(buffer, layout.means, k * d);
    this.covsAt = new Float64Array(buffer, layout.covs, k * d * d);
    this.invAt = new Float64Array(buffer, layout.inv, k * d * d);
    this.shiftAt = new Float64Array(buffer, layout.shift, k * d);
    this.constantAt = new Float64Array(buffer, layout.constant, k);
    this.values = new Float64Array(buffer, layout.values, n * k);
    this.top = new Int32Array(buffer, layout.top, n);
    this.offsets = new Int32Array(buffer, layout.offsets, n + 1);
    this.comps = new Int32Array(buffer, layout.comps, n * k);
  }

  static create(x: Float64Array, n: number, d: number, k: number): EmKernel | undefined {
    // float64 regions first (all 8-aligned), then the int32 ones
    const sizes = { x: n * d * 8, inv: k * d * d * 8, shift: k * d * 8, constant: k * 8, logp: k * 8, nk: k * 8, means: k * d * 8, covs: k * d * d * 8, diff: d * 8, values: n * k * 8, top: n * 4, offsets: (n + 1) * 4, comps: n * k * 4 };
    const layout = {} as Record<keyof typeof sizes, number>;
    let end = 0;
    for (const key of Object.keys(sizes) as (keyof typeof sizes)[]) {
      layout[key] = end;
      end += sizes[key];
    }
    const lease = emKernels.lease(end);
    if (!lease) return undefined;
    new Float64Array(lease.memory.buffer, layout.x, n * d).set(x.subarray(0, n * d));
    const estep = lease.exports.estep as EStepExport;
    const mstats = lease.exports.mstats as MStatsExport;
    const runE = () => estep(n, d, k, CUTOFF, layout.x, layout.inv, layout.shift, layout.constant, layout.logp, layout.top, layout.offsets, layout.comps, layout.values);
    const runM = () => mstats(n, d, k, layout.x, layout.offsets, layout.comps, layout.values, layout.nk, layout.means, layout.covs, layout.diff);
    const kernel = new EmKernel(runE, runM, () => lease.release(), lease.memory.buffer, layout, n, d, k);
    // A reused memory still holds the last fit's numbers: the E-step starts from top[] and reads offsets[0].
    kernel.top.fill(0);
    kernel.offsets.fill(0);
    return kernel;
  }

  /** Σ log p(x_i) under the parameters just written to invAt/shiftAt/constantAt; posteriors into the views. */
  eStep(): number {
    return this.runE();
  }

  /** The M-step's sums from the current posteriors into nkAt (starting from `floor`), meansAt and covsAt. */
  mStats(floor: number): void {
    this.nkAt.fill(floor);
    this.meansAt.fill(0);
    this.covsAt.fill(0);
    this.runM();
  }
}

const emKernels = new KernelPool(EM_WASM_BASE64, (memory) => ({ env: { memory }, math: { exp: Math.exp, log: Math.log } }));

/** Posterior responsibilities into `post`; returns the mean log-likelihood. */
function eStep(x: Float64Array, n: number, d: number, fit: GmmFit, post: Posteriors): number {
  const { k, weights, means, chol, logDet } = fit;
  // Inverse Cholesky factors U = L⁻¹ (lower), so each Mahalanobis distance is |U (x − μ)|² with no divisions;
  // U μ is folded in once per component. This loop is where the whole clustering spends most of its time.
  const inv = inverseLowerFactors(chol, k, d);
  const shift = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    const u = c * d * d;
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let t = 0; t <= r; t++) s += inv[u + r * d + t] * means[c * d + t];
      shift[c * d + r] = s;
    }
  }
  const constant = new Float64Array(k);
  for (let c = 0; c < k; c++) constant[c] = Math.log(weights[c]) - 0.5 * (d * LOG_2PI + logDet[c]);
  const kernel = post.kernel;
  if (kernel) {
    kernel.invAt.set(inv);
    kernel.shiftAt.set(shift);
    kernel.constantAt.set(constant);
    return kernel.eStep() / n;
  }
  const logp = new Float64Array(k);
  const { offsets, top } = post;
  let used = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const xi = i * d;
    // Start from the component that held the point last time, so `max` is high early and the others can stop
    // as soon as their partial Mahalanobis sum (a lower bound) puts them e^-CUTOFF below it: their posterior
    // would be < 2e-9 anyway. Most components are far from most points, so most rows are never computed.
    const first = top[i];
    let max = -Infinity;
    for (let step = 0; step < k; step++) {
      const c = step === 0 ? first : step <= first ? step - 1 : step;
      const u = c * d * d;
      const sc = c * d;
      const limit = 2 * (constant[c] - max + CUTOFF);
      let maha = 0;
      for (let r = 0; r < d && maha <= limit; r++) {
        const row = u + r * d;
        let s = -shift[sc + r];
        for (let t = 0; t <= r; t++) s += inv[row + t] * x[xi + t];
        maha += s * s;
      }
      const v = maha > limit ? -Infinity : constant[c] - 0.5 * maha;
      logp[c] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) {
      if (logp[c] === -Infinity) continue; // cut off: exactly 0, as exp would give
      const e = Math.exp(logp[c] - max);
      logp[c] = e;
      sum += e;
    }
    total += max + Math.log(sum);
    const scale = 1 / sum;
    post.reserve(used + k, used);
    const { comps, values } = post;
    let best = -1;
    for (let c = 0; c < k; c++) {
      if (logp[c] === -Infinity) continue;
      const r = logp[c] * scale;
      if (r === 0) continue;
      if (best < 0 || r > values[best]) best = used;
      comps[used] = c;
      values[used++] = r;
    }
    top[i] = best < 0 ? 0 : comps[best];
    offsets[i + 1] = used;
  }
  return total / n;
}

/** L⁻¹ for each of the k lower-triangular d×d factors in `chol`, by forward substitution. */
function inverseLowerFactors(chol: Float64Array, k: number, d: number): Float64Array {
  const inv = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const o = c * d * d;
    for (let col = 0; col < d; col++) {
      for (let r = col; r < d; r++) {
        let s = r === col ? 1 : 0;
        for (let t = col; t < r; t++) s -= chol[o + r * d + t] * inv[o + t * d + col];
        inv[o + r * d + col] = s / chol[o + r * d + r];
      }
    }
  }
  return inv;
}

/** The M-step's sums in JavaScript (where WebAssembly is unavailable): weights and means into `fit`, and the
 * per-component weight totals and scatter matrices (lower triangles). */
function mStatsJs(x: Float64Array, n: number, d: number, fit: GmmFit, post: Posteriors): { nk: Float64Array; covs: Float64Array } {
  const { k, weights, means } = fit;
  const { offsets, comps, values } = post;
  // Point-major passes over the non-zero posteriors; each component still sums its points in index order, so the
  // result is the same as component-major loops over a dense matrix.
  const nk = new Float64Array(k).fill(10 * EPS);
  means.fill(0);
  for (let i = 0; i < n; i++) {
    const xi = i * d;
    for (let p = offsets[i]; p < offsets[i + 1]; p++) {
      const c = comps[p];
      const r = values[p];
      nk[c] += r;
      const mu = c * d;
      for (let j = 0; j < d; j++) means[mu + j] += r * x[xi + j];
    }
  }
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) means[c * d + j] /= nk[c];
    weights[c] = nk[c] / n;
  }
  const dd = d * d;
  const covs = new Float64Array(k * dd);
  const diff = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const xi = i * d;
    for (let p = offsets[i]; p < offsets[i + 1]; p++) {
      const c = comps[p];
      const r = values[p];
      if (r < 1e-12) continue; // negligible weight; skipping it keeps EM cheap for many components
      const mu = c * d;
      for (let j = 0; j < d; j++) diff[j] = x[xi + j] - means[mu + j];
      const o = c * dd;
      for (let a = 0; a < d; a++) {
        const ra = r * diff[a];
        const row = o + a * d;
        for (let b = 0; b <= a; b++) covs[row + b] += ra * diff[b];
      }
    }
  }
  return { nk, covs };
}

function mStep(x: Float64Array, n: number, d: number, fit: GmmFit, post: Posteriors, reg: number, covariance: CovarianceType): void {
  const { k, weights, means, chol, logDet } = fit;
  const dd = d * d;
  let nk: Float64Array;
  let covs: Float64Array;
  const kernel = post.kernel;
  if (kernel) {
    kernel.mStats(10 * EPS);
    nk = kernel.nkAt;
    means.set(kernel.meansAt);
    covs = kernel.covsAt;
    for (let c = 0; c < k; c++) weights[c] = nk[c] / n;
  } else {
    ({ nk, covs } = mStatsJs(x, n, d, fit, post));
  }
  const factor = new Float64Array(dd);
  for (let c = 0; c < k; c++) {
    const cov = covs.subarray(c * dd, c * dd + dd);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        const v = cov[a * d + b] / nk[c];
        cov[a * d + b] = v;
        cov[b * d + a] = v;
      }
      cov[a * d + a] += reg;
    }
    if (covariance !== 'full') {
      let trace = 0;
      for (let a = 0; a < d; a++) trace += cov[a * d + a];
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) if (a !== b) cov[a * d + b] = 0;
        if (covariance === 'spherical') cov[a * d + a] = trace / d;
      }
    }
    // A collapsed component can still be numerically singular; grow the ridge until it factors.
    let ridge = reg;
    while (!cholesky(cov, d, factor)) {
      for (let a = 0; a < d; a++) cov[a * d + a] += ridge * 9;
      ridge *= 10;
    }
    let ld = 0;
    for (let a = 0; a < d; a++) ld += Math.log(factor[a * d + a]);
    logDet[c] = 2 * ld;
    chol.set(factor, c * dd);
  }
}

export interface BicSearchOptions {
  maxClusters: number;
  seed: number;
  signal?: AbortSignal;
  gmm?: GmmOptions;
  /** Grid points past the best one, all worse, before the coarse sweep stops (default: sweep the whole grid). */
  patience?: number;
  /**
   * Above this many points, choose k on a seeded sample of this size, then fit that k once on everything. The
   * sample's BIC is stated for all n points (its mean log-likelihood × n, penalty × log n), so the likelihood
   * weighs as it would on the full set. Being the sample's own (training) likelihood it leans to larger k than
   * a full sweep would (3,000 SOTU chunks: 49, where a full sweep or held-out scoring gives 10–12); that is
   * the side RAPTOR wants — more, smaller, purer global topics — and it is measured in bench/cluster.ts.
   */
  sampleAbove?: number;
  /** Run the winner's EM on to the final tolerance (default true); off when another fit will start from it. */
  finish?: boolean;
}

/**
 * Choose the number of components by BIC, as the reference does over k = 1 .. min(maxClusters, n) - 1,
 * but coarse-to-fine: a roughly geometric grid of k with early stop once BIC has risen for `patience`
 * grid points, then every k between the best grid point's neighbours. Each k is fitted with its own
 * derived seed, so the answer doesn't depend on which k were visited.
 */
export function selectGmmByBic(x: Float64Array, n: number, d: number, opts: BicSearchOptions): GmmFit {
  const sample = opts.sampleAbove;
  if (sample !== undefined && n > sample) {
    const rng = createRng(deriveSeed(opts.seed, 0x5a));
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const rows = order.slice(0, sample).sort((a, b) => a - b);
    const sub = new Float64Array(sample * d);
    rows.forEach((r, i) => sub.set(x.subarray(r * d, r * d + d), i * d));
    const chosen = selectGmmByBic(sub, sample, d, { ...opts, sampleAbove: undefined, gmm: { ...opts.gmm, bicPoints: n }, finish: false });
    throwIfAborted(opts.signal);
    // The sample's winner was left at the sweep's tolerance (finish: false): the refit on everything runs EM on to
    // the final one anyway, so converging on the sample first only doubled the work.
    return refitGmm(x, n, d, chosen, opts.gmm);
  }
  const kMax = Math.max(1, Math.min(opts.maxClusters, n) - 1);
  // The sweep only ranks k, so its fits stop at a looser tolerance; the winner is then run on to the real one.
  const finalTol = opts.gmm?.tol ?? 1e-3;
  const sweepTol = Math.max(finalTol, SWEEP_TOL);
  const patience = opts.patience ?? Infinity;
  const fits = new Map<number, GmmFit>();
  const fitK = (k: number): GmmFit => {
    let f = fits.get(k);
    if (!f) {
      throwIfAborted(opts.signal);
      f = fitGmm(x, n, d, k, deriveSeed(opts.seed, k), { ...opts.gmm, tol: sweepTol });
      fits.set(k, f);
      if (f.bic < bestBic) bestBic = f.bic;
    }
    return f;
  };
  let bestBic = Infinity;
  // BIC of k, or Infinity without fitting when its floor shows k cannot beat the best fit so far.
  const bicOf = (k: number): number => (fits.has(k) || bicFloor(n, d, k, opts.gmm) < bestBic ? fitK(k).bic : Infinity);
  const grid: number[] = [];
  for (let k = 1; k <= kMax; k = Math.max(k + 1, Math.round(k * 1.25))) grid.push(k);
  if (grid[grid.length - 1] !== kMax) grid.push(kMax);
  let bestIndex = 0;
  let worse = 0;
  for (let g = 0; g < grid.length; g++) {
    const bic = bicOf(grid[g]);
    if (bic === Infinity) break; // every larger k is ruled out too
    if (bic < bicOf(grid[bestIndex])) {
      bestIndex = g;
      worse = 0;
    } else if (g > 0 && ++worse >= patience) {
      break;
    }
  }
  // Refine between the best grid point's neighbours by repeated halving toward the better side:
  // O(log gap) fits instead of every k in the gap. When the best is the largest k allowed and beats the midpoint
  // below it, it is taken as it is: the last few k under the cap differ in BIC by less than fits of one k differ
  // from seed to seed (3,000 SOTU chunks: ±1,500 at k ≈ 45), and each fit there is the most expensive of the sweep.
  let lo = bestIndex > 0 ? grid[bestIndex - 1] : 1;
  let hi = bestIndex + 1 < grid.length ? grid[bestIndex + 1] : kMax;
  let center = grid[bestIndex];
  while (hi - lo > 2) {
    const left = Math.floor((lo + center) / 2);
    const right = Math.ceil((center + hi) / 2);
    const cands = [left, center, right].filter((k, i, a) => a.indexOf(k) === i);
    let bestK = center;
    for (const k of cands) if (bicOf(k) < bicOf(bestK)) bestK = k;
    if (bestK === center) {
      lo = left;
      hi = right;
    } else if (bestK === left) {
      hi = center;
      center = left;
    } else {
      lo = center;
      center = right;
    }
    if (cands.length < 3) break;
  }
  if (hi - lo <= 2) for (let k = lo; k <= hi; k++) bicOf(k);
  let best: GmmFit | undefined;
  for (const k of [...fits.keys()].sort((a, b) => a - b)) {
    const f = fits.get(k)!;
    if (!best || f.bic < best.bic) best = f;
  }
  return sweepTol > finalTol && opts.finish !== false ? continueEm(x, n, d, best!, opts.gmm) : best!;
}
