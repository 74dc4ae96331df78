import assert from 'node:assert/strict';
import { clusterNodes, raptorClusters } from '../../src/engine/cluster';
import { bicFloor, fitGmm, selectGmmByBic } from '../../src/engine/cluster/gmm';
import { topTridiagonalEigen, tridiagonalEigen } from '../../src/engine/cluster/linalg';
import { connectedComponents, fuzzyKnnGraph, spectralLayout } from '../../src/engine/cluster/reduce';
import { normalizedMatrix } from '../../src/engine/cluster/pca';
import { softMembers } from '../../src/engine/cluster/raptor';
import { createRng } from '../../src/engine/cluster/random';
import { AbortError } from '../../src/engine/ports';

/** Well-separated seeded blobs: `k` centres in `dim` dims, `perBlob` points each. */
function blobs(k: number, perBlob: number, dim = 32, noise = 0.3, seed = 7) {
  const rng = createRng(seed);
  const centers = Array.from({ length: k }, () => Float32Array.from({ length: dim }, () => rng.normal()));
  const embeddings: Float32Array[] = [];
  const labels: number[] = [];
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < perBlob; i++) {
      embeddings.push(Float32Array.from(centers[c], (x) => x + noise * rng.normal()));
      labels.push(c);
    }
  }
  return { embeddings, labels };
}

function purity(clusters: number[][], labels: number[]): number {
  let hits = 0;
  let total = 0;
  for (const c of clusters) {
    const counts = new Map<number, number>();
    for (const i of c) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
    hits += Math.max(...counts.values());
    total += c.length;
  }
  return hits / total;
}

function assertCovers(clusters: number[][], n: number) {
  const seen = new Set<number>();
  for (const c of clusters) {
    assert.ok(c.length > 0, 'no empty clusters');
    for (const i of c) {
      assert.ok(Number.isInteger(i) && i >= 0 && i < n, `index ${i} in range`);
      seen.add(i);
    }
  }
  assert.equal(seen.size, n, 'every node is in at least one cluster');
  const keys = clusters.map((c) => c.join(','));
  assert.equal(new Set(keys).size, keys.length, 'no duplicate clusters');
}

describe('clustering', () => {
  const data = blobs(4, 30);

  it('is deterministic for a seed', () => {
    const a = raptorClusters(data.embeddings, { seed: 224 });
    const b = raptorClusters(data.embeddings, { seed: 224 });
    assert.deepEqual(a, b);
    const c = clusterNodes(data.embeddings, data.labels.map(() => 100), { seed: 5, maxTokensPerCluster: 800 });
    const d = clusterNodes(data.embeddings, data.labels.map(() => 100), { seed: 5, maxTokensPerCluster: 800 });
    assert.deepEqual(c, d);
  });

  it('keeps well-separated blobs apart and assigns every node', () => {
    for (const reduction of ['spectral', 'pca', 'umap'] as const) {
      const clusters = raptorClusters(data.embeddings, { seed: 224, reduction, epochs: 50 });
      assertCovers(clusters, data.embeddings.length);
      assert.ok(purity(clusters, data.labels) >= 0.95, `${reduction}: purity ${purity(clusters, data.labels)}`);
      assert.ok(clusters.length >= 4, `${reduction}: at least one cluster per blob, got ${clusters.length}`);
    }
  });

  it('respects the token cap unless a cluster is a single node', () => {
    const tokens = data.embeddings.map((_, i) => (i === 3 ? 900 : 120));
    const clusters = clusterNodes(data.embeddings, tokens, { seed: 224, maxTokensPerCluster: 400 });
    assertCovers(clusters, data.embeddings.length);
    for (const c of clusters) {
      const sum = c.reduce((s, i) => s + tokens[i], 0);
      assert.ok(sum <= 400 || c.length === 1, `cluster of ${c.length} nodes has ${sum} tokens`);
    }
    assert.ok(clusters.some((c) => c.length === 1 && c[0] === 3), 'the oversized node stands alone');
  });

  it('packs by tokens when re-clustering cannot split (identical vectors)', () => {
    const same = Array.from({ length: 40 }, () => Float32Array.from({ length: 16 }, (_, j) => j + 1));
    const clusters = clusterNodes(same, same.map(() => 100), { seed: 1, maxTokensPerCluster: 500 });
    assertCovers(clusters, 40);
    for (const c of clusters) assert.ok(c.length <= 5);
  });

  it('soft-assigns a node to every cluster above the threshold, and never drops a node', () => {
    const k = 20;
    const resp = new Float64Array(2 * k);
    resp[0] = 0.5;
    resp[1] = 0.45;
    resp[2] = 0.05;
    for (let c = 0; c < k; c++) resp[k + c] = c === 7 ? 0.06 : 0.94 / 19; // nothing above 0.1
    const members = softMembers(resp, 2, k, 0.1);
    assert.deepEqual(members[0], [0]);
    assert.deepEqual(members[1], [0]);
    assert.deepEqual(members[2], []);
    assert.deepEqual(members[7], [1], 'a node with no component above the threshold goes to its most likely one');
  });

  it('honours an abort signal', () => {
    const controller = new AbortController();
    controller.abort();
    assert.throws(() => raptorClusters(data.embeddings, { seed: 1, signal: controller.signal }), AbortError);
    assert.throws(
      () => clusterNodes(data.embeddings, data.labels.map(() => 10), { seed: 1, maxTokensPerCluster: 1000, signal: controller.signal }),
      AbortError,
    );
  });

  it('handles tiny and degenerate inputs', () => {
    assert.deepEqual(raptorClusters([], { seed: 1 }), []);
    assert.deepEqual(clusterNodes([], [], { seed: 1, maxTokensPerCluster: 100 }), []);
    const v = (x: number) => Float32Array.from({ length: 8 }, (_, j) => x + j);
    assert.deepEqual(raptorClusters([v(1)], { seed: 1 }), [[0]]);
    assert.deepEqual(raptorClusters([v(1), v(2)], { seed: 1 }), [[0, 1]]);
    assert.deepEqual(raptorClusters(Array.from({ length: 11 }, (_, i) => v(i)), { seed: 1 }), [Array.from({ length: 11 }, (_, i) => i)]);
    const same = Array.from({ length: 30 }, () => v(3));
    assertCovers(raptorClusters(same, { seed: 1 }), 30);
    const withNaN = blobs(2, 15).embeddings;
    withNaN[4][0] = Number.NaN;
    assertCovers(raptorClusters(withNaN, { seed: 1 }), 30);
  });

  it('fits a Gaussian mixture and picks the number of components by BIC', () => {
    const rng = createRng(3);
    const centers = [
      [0, 0],
      [10, 0],
      [0, 10],
    ];
    const x = new Float64Array(3 * 60 * 2);
    for (let i = 0; i < 180; i++) {
      const c = centers[i % 3];
      x[2 * i] = c[0] + rng.normal();
      x[2 * i + 1] = c[1] + rng.normal();
    }
    const fit = fitGmm(x, 180, 2, 3, 1);
    for (const w of fit.weights) assert.ok(Math.abs(w - 1 / 3) < 0.02);
    assert.equal(selectGmmByBic(x, 180, 2, { maxClusters: 12, seed: 1 }).k, 3);
  });

  it('never finds a BIC below its floor, so pruning by the floor cannot change the chosen k', () => {
    const rng = createRng(11);
    const x = new Float64Array(40 * 3);
    for (let i = 0; i < x.length; i++) x[i] = (i % 3 === 0 ? 5 * (i % 2) : 0) + rng.normal();
    for (let k = 1; k <= 20; k++) assert.ok(fitGmm(x, 40, 3, k, k).bic >= bicFloor(40, 3, k), `k=${k}`);
  });

  it('finds the top eigenpairs of a tridiagonal matrix, including repeated eigenvalues', () => {
    const rng = createRng(5);
    for (const kind of ['random', 'blocks', 'identity'] as const) {
      const m = 40;
      const diag = new Float64Array(m);
      const off = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        diag[i] = kind === 'identity' ? 1 : kind === 'blocks' ? (i % 10 === 0 ? 1 : 0.5 * rng.next()) : rng.normal();
        off[i] = kind === 'identity' || (kind === 'blocks' && i % 10 === 9) ? 0 : kind === 'blocks' ? 0.1 * rng.next() : rng.normal();
      }
      const full = tridiagonalEigen(diag, off, m);
      const top = topTridiagonalEigen(diag, off, m, 6);
      for (let j = 0; j < 6; j++) {
        assert.ok(Math.abs(full.values[j] - top.values[j]) < 1e-10, `${kind}: eigenvalue ${j}`);
        for (let i = 0; i < m; i++) {
          const v = (r: number) => (r >= 0 && r < m ? top.vectors[r * 6 + j] : 0);
          const tv = diag[i] * v(i) + (i > 0 ? off[i - 1] * v(i - 1) : 0) + (i + 1 < m ? off[i] * v(i + 1) : 0);
          assert.ok(Math.abs(tv - top.values[j] * v(i)) < 1e-8, `${kind}: residual of vector ${j}`);
        }
        for (let p = 0; p < j; p++) {
          let dot = 0;
          for (let i = 0; i < m; i++) dot += top.vectors[i * 6 + j] * top.vectors[i * 6 + p];
          assert.ok(Math.abs(dot) < 1e-8, `${kind}: vectors ${p} and ${j} orthogonal`);
        }
      }
    }
  });

  it('gives each component of a disconnected neighbour graph its own place, so none merge', () => {
    // Far-apart tight blobs: their 5-NN graph falls apart into one component per blob. A plain spectral
    // embedding found the repeated top eigenvalue once and left most blobs together at the origin.
    const far = blobs(8, 12, 64, 0.05, 3);
    const { data, n, d } = normalizedMatrix(far.embeddings);
    const graph = fuzzyKnnGraph(data, n, d, 5);
    assert.equal(connectedComponents(graph, n).count, 8);
    const layout = spectralLayout(data, graph, n, d, 4, createRng(1));
    const centre = (b: number) => [0, 1, 2, 3].map((t) => far.labels.reduce((s, l, i) => s + (l === b ? layout[i * 4 + t] : 0), 0) / 12);
    const centres = Array.from({ length: 8 }, (_, b) => centre(b));
    for (let a = 0; a < 8; a++) {
      for (let b = a + 1; b < 8; b++) {
        const dist = Math.hypot(...centres[a].map((x, t) => x - centres[b][t]));
        assert.ok(dist > 1, `blobs ${a} and ${b} sit ${dist.toFixed(3)} apart`);
      }
    }
    const clusters = raptorClusters(far.embeddings, { seed: 224 });
    assert.equal(purity(clusters, far.labels), 1);
  });

  it('splits many separate blobs into summarisable clusters of 3–15 members', () => {
    const many = blobs(12, 40, 384, 0.9, 224);
    const clusters = raptorClusters(many.embeddings, { seed: 224 });
    assertCovers(clusters, many.embeddings.length);
    assert.equal(purity(clusters, many.labels), 1);
    const members = clusters.reduce((s, c) => s + c.length, 0);
    const inRange = clusters.filter((c) => c.length >= 3 && c.length <= 15).reduce((s, c) => s + c.length, 0);
    assert.ok(inRange / members >= 0.9, `share of memberships in clusters of 3–15: ${(inRange / members).toFixed(3)}`);
  });
});
