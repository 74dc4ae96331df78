// Principal component analysis by randomized subspace iteration (Halko, Martinsson & Tropp 2011):
// a few passes over the data instead of a full d×d eigenproblem, deterministic given the seed.
import { orthonormalizeColumns, symmetricEigen } from './linalg';
import type { Rng } from './random';

/** Unit-normalised rows (cosine geometry, as the reference's metric="cosine"), row-major n×d. */
export function normalizedMatrix(vectors: Float32Array[], indices?: number[]): { data: Float64Array; n: number; d: number } {
  const rows = indices ?? vectors.map((_, i) => i);
  const n = rows.length;
  const d = n > 0 ? vectors[rows[0]].length : 0;
  const data = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    const v = vectors[rows[r]];
    if (v.length !== d) throw new Error(`Embeddings must all have the same length (found ${d} and ${v.length}).`);
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const x = Number.isFinite(v[j]) ? v[j] : 0;
      norm += x * x;
    }
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < d; j++) data[r * d + j] = (Number.isFinite(v[j]) ? v[j] : 0) * inv;
  }
  return { data, n, d };
}

/**
 * Project n×d rows (row-major) onto their top `k` principal components. Returns n×k row-major scores.
 * `powerIterations` sharpens the spectrum so that slowly decaying text-embedding spectra still come out right.
 */
export function pcaScores(data: Float64Array, n: number, d: number, k: number, rng: Rng, powerIterations = 4): Float64Array {
  const x = new Float64Array(data);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] -= mean[j];

  const l = Math.max(1, Math.min(k + 10, n, d));
  // Y = X Ω, Ω Gaussian d×l.
  const omega = new Float64Array(d * l);
  for (let i = 0; i < omega.length; i++) omega[i] = rng.normal();
  let y = multiply(x, n, d, omega, l);
  orthonormalizeColumns(y, n, l);
  for (let it = 0; it < powerIterations; it++) {
    const z = multiplyTransposed(x, n, d, y, l); // d×l = Xᵀ Y
    orthonormalizeColumns(z, d, l);
    y = multiply(x, n, d, z, l);
    orthonormalizeColumns(y, n, l);
  }
  // B = Qᵀ X (l×d); BBᵀ = U S² Uᵀ; scores = X V = Q U S.
  const b = multiplyTransposed(y, n, l, x, d); // l×d
  const bbt = new Float64Array(l * l);
  for (let a = 0; a < l; a++) {
    for (let c = a; c < l; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += b[a * d + j] * b[c * d + j];
      bbt[a * l + c] = s;
      bbt[c * l + a] = s;
    }
  }
  const { values, vectors: u } = symmetricEigen(bbt, l);
  const kk = Math.min(k, l);
  const out = new Float64Array(n * k);
  for (let c = 0; c < kk; c++) {
    const s = Math.sqrt(Math.max(values[c], 0));
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let a = 0; a < l; a++) v += y[i * l + a] * u[a * l + c];
      out[i * k + c] = v * s;
    }
  }
  return out;
}

/** (n×d) · (d×l) → n×l, row-major. */
function multiply(a: Float64Array, n: number, d: number, b: Float64Array, l: number): Float64Array {
  const out = new Float64Array(n * l);
  for (let i = 0; i < n; i++) {
    const o = i * l;
    for (let j = 0; j < d; j++) {
      const aij = a[i * d + j];
      if (aij === 0) continue;
      const r = j * l;
      for (let c = 0; c < l; c++) out[o + c] += aij * b[r + c];
    }
  }
  return out;
}

/** (n×d)ᵀ · (n×l) → d×l, row-major. */
function multiplyTransposed(a: Float64Array, n: number, d: number, b: Float64Array, l: number): Float64Array {
  const out = new Float64Array(d * l);
  for (let i = 0; i < n; i++) {
    const r = i * l;
    for (let j = 0; j < d; j++) {
      const aij = a[i * d + j];
      if (aij === 0) continue;
      const o = j * l;
      for (let c = 0; c < l; c++) out[o + c] += aij * b[r + c];
    }
  }
  return out;
}
