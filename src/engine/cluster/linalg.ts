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
      let r = Math.hypot(g, 1);
      g = d[mm] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = mm - 1;
      let underflow = false;
      for (; i >= l; i--) {
        let f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
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
        for (let k = 0; k < m; k++) {
          const row = k * m;
          f = z[row + i + 1];
          z[row + i + 1] = s * z[row + i] + c * f;
          z[row + i] = c * z[row + i] - s * f;
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[mm] = 0;
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => d[j] - d[i] || i - j);
  const values = new Float64Array(m);
  const vectors = new Float64Array(m * m);
  order.forEach((src, dst) => {
    values[dst] = d[src];
    for (let k = 0; k < m; k++) vectors[k * m + dst] = z[k * m + src];
  });
  return { values, vectors };
}
