// Small dense linear algebra on row-major Float64Arrays: just what PCA and the GMM need.

/**
 * Eigen-decomposition of a small symmetric matrix (m×m, row-major) by cyclic Jacobi rotations.
 * Returns eigenvalues in descending order and the matching eigenvectors as columns of `vectors`.
 * Jacobi is exact to machine precision and simple; m is at most a few dozen here.
 */
export function symmetricEigen(matrix: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let scale = 0;
    for (let p = 0; p < m; p++) {
      scale += a[p * m + p] * a[p * m + p];
      for (let q = p + 1; q < m; q++) off += a[p * m + q] * a[p * m + q];
    }
    if (off <= 1e-30 * Math.max(scale, 1e-300)) break;
    for (let p = 0; p < m - 1; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * m + p];
        const aqq = a[q * m + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p];
          const akq = a[k * m + q];
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k];
          const aqk = a[q * m + k];
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p];
          const vkq = v[k * m + q];
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => a[j * m + j] - a[i * m + i] || i - j);
  const values = new Float64Array(m);
  const vectors = new Float64Array(m * m);
  order.forEach((src, dst) => {
    values[dst] = a[src * m + src];
    for (let k = 0; k < m; k++) vectors[k * m + dst] = v[k * m + src];
  });
  return { values, vectors };
}

/**
 * Orthonormalise the l columns of an n×l row-major matrix in place (modified Gram–Schmidt, twice for stability).
 * A column that collapses to ~0 (rank deficiency) is replaced by zeros.
 */
export function orthonormalizeColumns(q: Float64Array, n: number, l: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < l; j++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i * l + j] * q[i * l + k];
        for (let i = 0; i < n; i++) q[i * l + j] -= dot * q[i * l + k];
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += q[i * l + j] * q[i * l + j];
      norm = Math.sqrt(norm);
      const inv = norm > 1e-12 ? 1 / norm : 0;
      for (let i = 0; i < n; i++) q[i * l + j] *= inv;
    }
  }
}

/**
 * Cholesky factor L (lower, row-major d×d) of a symmetric positive-definite matrix, in place into `out`.
 * Returns false when the matrix is not positive definite.
 */
export function cholesky(a: Float64Array, d: number, out: Float64Array): boolean {
  out.fill(0);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * d + j];
      for (let k = 0; k < j; k++) sum -= out[i * d + k] * out[j * d + k];
      if (i === j) {
        if (!(sum > 0)) return false;
        out[i * d + i] = Math.sqrt(sum);
      } else {
        out[i * d + j] = sum / out[j * d + j];
      }
    }
  }
  return true;
}

/**
 * The implicit QL iteration on (d, e) in place (EISPACK tql2/tql1). With `z` (an m×m identity on entry) it also
 * accumulates the eigenvectors, z[k*m + i] being component k of eigenvector i; without, only the eigenvalues.
 */
function implicitQl(d: Float64Array, e: Float64Array, m: number, z: Float64Array | null): void {
  for (let l = 0; l < m; l++) {
    let iter = 0;
    for (;;) {
      let mm = l;
      for (; mm < m - 1; mm++) {
        const dd = Math.abs(d[mm]) + Math.abs(d[mm + 1]);
        if (Math.abs(e[mm]) <= 2.220446049250313e-16 * dd) break;
      }
      if (mm === l) break;
      if (++iter > 60) break; // does not happen for symmetric input; never loop forever
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = hypot(g, 1);
      g = d[mm] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = mm - 1;
      let underflow = false;
      for (; i >= l; i--) {
        let f = s * e[i];
        const b = c * e[i];
        r = hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[mm] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        if (z) {
          for (let k = 0; k < m; k++) {
            const row = k * m;
            f = z[row + i + 1];
            z[row + i + 1] = s * z[row + i] + c * f;
            z[row + i] = c * z[row + i] - s * f;
          }
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[mm] = 0;
    }
  }
}

/**
 * Eigen-decomposition of a symmetric tridiagonal matrix (diagonal `diag`, sub-diagonal `off`, both length m;
 * off[m-1] unused) by the implicit QL method with Wilkinson shifts (EISPACK tql2). O(m²) per eigenvalue with
 * vectors, against Jacobi's many O(m³) sweeps: Lanczos hands us exactly this shape, often thousands of times
 * per corpus. Returns eigenvalues in descending order and the matching eigenvectors as columns of `vectors`.
 */
export function tridiagonalEigen(diag: Float64Array, off: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const d = Float64Array.from(diag.subarray(0, m));
  const e = new Float64Array(m);
  for (let i = 0; i + 1 < m; i++) e[i] = off[i];
  // z is stored column-major-by-row: z[k*m + i] is component k of eigenvector i.
  const z = new Float64Array(m * m);
  for (let i = 0; i < m; i++) z[i * m + i] = 1;
  implicitQl(d, e, m, z);
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => d[j] - d[i] || i - j);
  const values = new Float64Array(m);
  const vectors = new Float64Array(m * m);
  order.forEach((src, dst) => {
    values[dst] = d[src];
    for (let k = 0; k < m; k++) vectors[k * m + dst] = z[k * m + src];
  });
  return { values, vectors };
}

/**
 * The `count` largest eigenpairs of a symmetric tridiagonal matrix (as tridiagonalEigen, eigenvectors as the
 * columns of an m×count row-major matrix). Eigenvalues by implicit QL without vectors (O(m²)), then each wanted
 * vector by inverse iteration (O(m) per solve), re-orthogonalised against its near-equal neighbours as LAPACK's
 * stein does. Lanczos needs ~11 of 80 vectors, and accumulating every rotation was most of the cost.
 */
export function topTridiagonalEigen(diag: Float64Array, off: Float64Array, m: number, count: number): { values: Float64Array; vectors: Float64Array } {
  const all = tridiagonalEigenvalues(diag, off, m);
  const want = Math.min(count, m);
  const values = all.subarray(0, want);
  const vectors = new Float64Array(m * want);
  let scale = 0;
  for (let i = 0; i < m; i++) scale = Math.max(scale, Math.abs(diag[i]) + (i + 1 < m ? Math.abs(off[i]) : 0) + (i > 0 ? Math.abs(off[i - 1]) : 0));
  scale = Math.max(scale, Number.MIN_VALUE);
  const clusterGap = 1e-3 * scale;
  const x = new Float64Array(m);
  const solver = new ShiftedTridiagonalSolver(m);
  let seed = 0x2545f491;
  for (let j = 0; j < want; j++) {
    // Perturb repeated eigenvalues apart slightly so their shifted systems differ (stein's trick).
    let shift = values[j];
    if (j > 0 && Math.abs(values[j - 1] - shift) < 10 * Number.EPSILON * scale) shift = values[j - 1] - 10 * Number.EPSILON * scale * j;
    solver.factor(diag, off, shift, scale);
    for (let i = 0; i < m; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      x[i] = seed / 4294967296 - 0.5;
    }
    for (let iter = 0; iter < 4; iter++) {
      solver.solve(x);
      // Orthogonalise against earlier vectors in the same eigenvalue cluster.
      for (let p = j - 1; p >= 0 && Math.abs(values[p] - values[j]) < clusterGap; p--) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += x[i] * vectors[i * want + p];
        for (let i = 0; i < m; i++) x[i] -= dot * vectors[i * want + p];
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += x[i] * x[i];
      norm = Math.sqrt(norm);
      if (!(norm > 0)) {
        x.fill(0);
        x[j % m] = 1;
        continue;
      }
      for (let i = 0; i < m; i++) x[i] /= norm;
    }
    // Sign convention: largest-magnitude component positive, so results don't depend on the start vector's sign.
    let big = 0;
    for (let i = 1; i < m; i++) if (Math.abs(x[i]) > Math.abs(x[big]) + 1e-12) big = i;
    const sign = x[big] < 0 ? -1 : 1;
    for (let i = 0; i < m; i++) vectors[i * want + j] = sign * x[i];
  }
  return { values: Float64Array.from(values), vectors };
}

/** All eigenvalues of a symmetric tridiagonal matrix, descending (implicit QL, no vectors). */
export function tridiagonalEigenvalues(diag: Float64Array, off: Float64Array, m: number): Float64Array {
  const d = Float64Array.from(diag.subarray(0, m));
  const e = new Float64Array(m);
  for (let i = 0; i + 1 < m; i++) e[i] = off[i];
  implicitQl(d, e, m, null);
  return d.sort().reverse();
}

/** LU with partial pivoting of T − σI for a symmetric tridiagonal T (LAPACK gttrf/gtts2), zero pivots nudged. */
class ShiftedTridiagonalSolver {
  private readonly dl: Float64Array;
  private readonly dd: Float64Array;
  private readonly du: Float64Array;
  private readonly du2: Float64Array;
  private readonly swapped: Uint8Array;
  constructor(private readonly m: number) {
    this.dl = new Float64Array(m);
    this.dd = new Float64Array(m);
    this.du = new Float64Array(m);
    this.du2 = new Float64Array(m);
    this.swapped = new Uint8Array(m);
  }

  factor(diag: Float64Array, off: Float64Array, shift: number, scale: number): void {
    const { m, dl, dd, du, du2, swapped } = this;
    for (let i = 0; i < m; i++) {
      dd[i] = diag[i] - shift;
      dl[i] = i + 1 < m ? off[i] : 0;
      du[i] = i + 1 < m ? off[i] : 0;
      du2[i] = 0;
      swapped[i] = 0;
    }
    const tiny = Number.EPSILON * scale;
    for (let i = 0; i + 1 < m; i++) {
      if (Math.abs(dd[i]) >= Math.abs(dl[i])) {
        if (dd[i] === 0) dd[i] = tiny;
        const f = dl[i] / dd[i];
        dl[i] = f;
        dd[i + 1] -= f * du[i];
      } else {
        const f = dd[i] / dl[i];
        dd[i] = dl[i];
        dl[i] = f;
        const t = du[i];
        du[i] = dd[i + 1];
        dd[i + 1] = t - f * dd[i + 1];
        if (i + 2 < m) {
          du2[i] = du[i + 1];
          du[i + 1] = -f * du[i + 1];
        }
        swapped[i] = 1;
      }
    }
    for (let i = 0; i < m; i++) if (Math.abs(dd[i]) < tiny) dd[i] = dd[i] < 0 ? -tiny : tiny;
  }

  /** Overwrites b with (T − σI)⁻¹ b. */
  solve(b: Float64Array): void {
    const { m, dl, dd, du, du2, swapped } = this;
    for (let i = 0; i + 1 < m; i++) {
      if (swapped[i]) {
        const t = b[i];
        b[i] = b[i + 1];
        b[i + 1] = t - dl[i] * b[i];
      } else {
        b[i + 1] -= dl[i] * b[i];
      }
    }
    b[m - 1] /= dd[m - 1];
    if (m > 1) b[m - 2] = (b[m - 2] - du[m - 2] * b[m - 1]) / dd[m - 2];
    for (let i = m - 3; i >= 0; i--) b[i] = (b[i] - du[i] * b[i + 1] - du2[i] * b[i + 2]) / dd[i];
  }
}

/** sqrt(a² + b²) without overflow; Math.hypot is variadic and several times slower in V8's hot loops. */
function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  const big = x > y ? x : y;
  if (big === 0) return 0;
  const small = x > y ? y : x;
  const r = small / big;
  return big * Math.sqrt(1 + r * r);
}
