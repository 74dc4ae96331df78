// Whole-pipeline benchmark with the embedded defaults on the State of the Union corpus:
// indexing time, docs/s, MB/s and peak RSS at 25%, 50% and 100% of the corpus (each in a fresh child process running
// the bundled CLI), then query latency (collapsed-tree retrieval) over the full index and hit@5 on the question set.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RaptorIndex } from '../src/engine/raptorIndex';

const repo = path.join(__dirname, '..');
const SOTU = path.join(repo, 'node_modules', '@stdlib', 'datasets-sotu', 'data');

export interface PipelineRun {
  fraction: number;
  documents: number;
  megabytes: number;
  seconds: number;
  docs_per_s: number;
  mb_per_s: number;
  peak_rss_mb: number;
  nodes: number;
  completed: number;
}

export interface PipelineBenchResult {
  runs: PipelineRun[];
  /** seconds per MB at each fraction relative to the full corpus: ~1.0 everywhere means linear. */
  scaling: { fraction: number; seconds_per_mb: number; relative_to_full: number }[];
  /** Least-squares line seconds = fixed_s + per_mb_s × MB through the runs, and how well it fits (R²). */
  linear_fit: { fixed_s: number; per_mb_s: number; r2: number };
  query: { nodes: number; first_query_ms: number; p50_ms: number; p95_ms: number; queries: number };
  retrieval: { questions: number; hit_at_5: number };
}

function corpusFiles(): string[] {
  return fs.readdirSync(SOTU).filter((f) => f.endsWith('.txt')).sort();
}

/** Every k-th address, so each fraction spans all eras. */
function sample(files: string[], fraction: number): string[] {
  if (fraction >= 1) return files;
  const n = Math.round(files.length * fraction);
  return Array.from({ length: n }, (_, i) => files[Math.floor((i * files.length) / n)]);
}

function indexInChild(folder: string): { seconds: number; peakRssMb: number; code: number } {
  const script = `
    const t0 = process.hrtime.bigint();
    require(${JSON.stringify(path.join(repo, 'dist', 'cli.js'))}).main(['index', ${JSON.stringify(folder)}]).then((code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      process.stdout.write(JSON.stringify({ seconds, maxRSS: process.resourceUsage().maxRSS, code }));
    });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`indexing failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { seconds: out.seconds, peakRssMb: out.maxRSS / 1024, code: out.code };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export async function runPipelineBench(fractions = [0.25, 0.5, 1]): Promise<PipelineBenchResult> {
  if (!fs.existsSync(path.join(repo, 'dist', 'cli.js'))) throw new Error('Build first: npm run build');
  const files = corpusFiles();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'raptor-bench-'));
  const runs: PipelineRun[] = [];
  let fullFolder = '';
  try {
    for (const fraction of fractions) {
      const folder = path.join(work, `sotu-${Math.round(fraction * 100)}`);
      fs.mkdirSync(folder);
      let bytes = 0;
      for (const f of sample(files, fraction)) {
        fs.copyFileSync(path.join(SOTU, f), path.join(folder, f));
        bytes += fs.statSync(path.join(folder, f)).size;
      }
      const r = indexInChild(folder);
      const ro = await RaptorIndex.open({ root: folder, readOnly: true });
      const s = ro.status();
      const nodes = s.documents.reduce((a, d) => a + d.nodes, 0);
      await ro.close();
      const documents = s.total_documents;
      const mb = bytes / 1e6;
      runs.push({
        fraction,
        documents,
        megabytes: Math.round(mb * 100) / 100,
        seconds: Math.round(r.seconds * 100) / 100,
        docs_per_s: Math.round((documents / r.seconds) * 10) / 10,
        mb_per_s: Math.round((mb / r.seconds) * 100) / 100,
        peak_rss_mb: Math.round(r.peakRssMb),
        nodes,
        completed: s.completed_documents,
      });
      console.error(`  pipeline ${Math.round(fraction * 100)}%: ${documents} docs, ${mb.toFixed(1)} MB in ${r.seconds.toFixed(1)} s, peak RSS ${Math.round(r.peakRssMb)} MB`);
      if (fraction >= 1) fullFolder = folder;
    }
    const full = runs[runs.length - 1];
    const fullRate = full.seconds / full.megabytes;
    const scaling = runs.map((r) => ({
      fraction: r.fraction,
      seconds_per_mb: Math.round((r.seconds / r.megabytes) * 1000) / 1000,
      relative_to_full: Math.round((r.seconds / r.megabytes / fullRate) * 100) / 100,
    }));

    const xs = runs.map((r) => r.megabytes);
    const ys = runs.map((r) => r.seconds);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
    const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const slope = sxx ? sxy / sxx : 0;
    const intercept = my - slope * mx;
    const ssRes = ys.reduce((a, y, i) => a + (y - (intercept + slope * xs[i])) ** 2, 0);
    const ssTot = ys.reduce((a, y) => a + (y - my) ** 2, 0);
    const linearFit = { fixed_s: Math.round(intercept * 100) / 100, per_mb_s: Math.round(slope * 1000) / 1000, r2: ssTot ? Math.round((1 - ssRes / ssTot) * 10000) / 10000 : 1 };

    // Query latency and quality over the full index, in-process (as the extension's worker and `raptor query` run it).
    const index = await RaptorIndex.open({ root: fullFolder || path.join(work, 'sotu-100'), readOnly: true });
    const questions = (JSON.parse(fs.readFileSync(path.join(repo, 'test', 'fixtures', 'sotu-questions.json'), 'utf8')) as {
      questions: { q: string; years: number[] }[];
    }).questions;
    let t = performance.now();
    await index.query(questions[0].q, { topK: 5 });
    const firstQueryMs = performance.now() - t;
    const times: number[] = [];
    let hits = 0;
    for (let round = 0; round < 8; round++) {
      for (const q of questions) {
        t = performance.now();
        const res = await index.query(q.q, { topK: 5 });
        times.push(performance.now() - t);
        if (round === 0 && res.some((h) => q.years.includes(Number(h.doc.slice(0, 4))))) hits++;
      }
    }
    times.sort((a, b) => a - b);
    const nodes = index.status().documents.reduce((a, d) => a + d.nodes, 0);
    await index.close();
    return {
      runs,
      scaling,
      linear_fit: linearFit,
      query: {
        nodes,
        first_query_ms: Math.round(firstQueryMs),
        p50_ms: Math.round(percentile(times, 0.5) * 100) / 100,
        p95_ms: Math.round(percentile(times, 0.95) * 100) / 100,
        queries: times.length,
      },
      retrieval: { questions: questions.length, hit_at_5: Math.round((hits / questions.length) * 1000) / 1000 },
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runPipelineBench().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
