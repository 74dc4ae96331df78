// Runs the Python RAPTOR clustering reference (kept outside the repo, at ../shared/ref/) on given embeddings.
// Installs its Debian dependencies on first use; never skips silently.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PYTHON = '/usr/bin/python3';

export interface ReferenceResult {
  clusters: number[][];
  labels: number[];
  seconds: { total: number; umap: number; gmm: number };
}

/** Path of the reference script, or undefined (with the reason printed) when it's absent. */
export function findReference(repoRoot: string): string | undefined {
  const path = resolve(repoRoot, '..', 'shared', 'ref', 'raptor_cluster_ref.py');
  if (!existsSync(path)) {
    console.error(`Reference clustering script not found at ${path}; reference figures will be null.`);
    return undefined;
  }
  return path;
}

function depsPresent(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import umap, sklearn'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Make sure umap-learn and scikit-learn are importable by Debian's Python; returns false (and says why) if not. */
export function ensureReferenceDeps(): boolean {
  if (existsSync(PYTHON) && depsPresent()) return true;
  console.error('Installing the reference\'s dependencies: apt-get install -y umap-learn python3-sklearn …');
  try {
    execFileSync('apt-get', ['update'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', 'umap-learn', 'python3-sklearn'], { stdio: 'ignore' });
  } catch (e) {
    console.error(`Could not install the reference's dependencies (${(e as Error).message.split('\n')[0]}); reference figures will be null.`);
    return false;
  }
  if (!depsPresent()) {
    console.error('umap-learn / scikit-learn still not importable after apt-get; reference figures will be null.');
    return false;
  }
  return true;
}

/**
 * Runs the reference on every input in one Python process after a discarded warm-up (bench/ref/run_many.py),
 * so each timed run is warm: UMAP's numba JIT compiles once instead of being billed to every dataset.
 * Returns one result per input, in order; a failed run throws.
 */
export function runReferenceWarm(script: string, warmUp: Float32Array[], inputs: Float32Array[][], seed: number): ReferenceResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'raptor-ref-'));
  try {
    const write = (name: string, embeddings: Float32Array[]) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify({ embeddings: embeddings.map((v) => Array.from(v)), seed }));
      return path;
    };
    const warm = write('warm.json', warmUp);
    const paths = inputs.map((e, i) => write(`in${i}.json`, e));
    const runner = resolve(__dirname, 'run_many.py');
    const r = spawnSync(PYTHON, [runner, script, warm, ...paths], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`reference exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-1)[0]}`);
    const lines = r.stdout.trim().split('\n').filter(Boolean);
    if (lines.length !== inputs.length) throw new Error(`reference returned ${lines.length} results for ${inputs.length} inputs`);
    return lines.map((l) => JSON.parse(l) as ReferenceResult);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runReference(script: string, embeddings: Float32Array[], seed: number): ReferenceResult {
  const dir = mkdtempSync(join(tmpdir(), 'raptor-ref-'));
  try {
    const input = join(dir, 'in.json');
    writeFileSync(input, JSON.stringify({ embeddings: embeddings.map((v) => Array.from(v)), seed }));
    const r = spawnSync(PYTHON, [script, '--in', input], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`reference exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-1)[0]}`);
    return JSON.parse(r.stdout) as ReferenceResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
