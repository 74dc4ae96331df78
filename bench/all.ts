// `npm run bench`: every benchmark in one run. Writes bench/results/latest.json and prints a markdown table with
// each target, the measured figure, the reference's figure where there is one, and the ratio.
// Benchmarks print figures; they assert nothing (time is not a test).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCheckpointBench } from './checkpoint';
import { runClusterBench } from './cluster';
import { runLlmPipelineBench } from './llmPipeline';
import { runPipelineBench } from './pipeline';

interface Row {
  target: string;
  goal: string;
  measured: string;
  reference: string;
  ratio: string;
  met: boolean | null;
}

const fmt = (n: number | null | undefined, d = 2) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(d));

async function main() {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const started = Date.now();
  const machine = {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
  const result: Record<string, unknown> = { machine };
  const rows: Row[] = [];

  if (want('cluster')) {
    console.error('▶ clustering (ours vs the Python reference, same embeddings)…');
    const c = await runClusterBench();
    result.clustering = c.clustering;
    result.clustering_embedder = c.embedder;
    for (const r of c.clustering) {
      rows.push({
        target: `clustering speed, ${r.dataset} n=${r.n}`,
        goal: '≥ 20× faster',
        measured: `${fmt(r.ours_s, 3)} s`,
        reference: r.reference_s === null ? 'missing' : `${fmt(r.reference_s, 2)} s`,
        ratio: r.speedup === null ? '–' : `${fmt(r.speedup, 0)}×`,
        met: r.speedup === null ? null : r.speedup >= 20,
      });
      rows.push({
        target: `clustering purity, ${r.dataset} n=${r.n}`,
        goal: '≥ reference − 0.02',
        measured: fmt(r.purity_ours, 3),
        reference: fmt(r.purity_reference, 3),
        ratio: r.purity_reference === null ? '–' : `${r.purity_ours - r.purity_reference >= 0 ? '+' : ''}${fmt(r.purity_ours - r.purity_reference, 3)}`,
        met: r.purity_reference === null ? null : r.purity_ours >= r.purity_reference - 0.02,
      });
      rows.push({
        target: `share in clusters of 3–15, ${r.dataset} n=${r.n}`,
        goal: 'within 0.05 of reference',
        measured: fmt(r.small_share_ours, 3),
        reference: fmt(r.small_share_reference, 3),
        ratio: r.small_share_reference === null ? '–' : `${r.small_share_ours - r.small_share_reference >= 0 ? '+' : ''}${fmt(r.small_share_ours - r.small_share_reference, 3)}`,
        met: r.small_share_reference === null ? null : Math.abs(r.small_share_ours - r.small_share_reference) <= 0.05 || r.small_share_ours > r.small_share_reference,
      });
    }
  }

  if (want('pipeline')) {
    console.error('▶ whole pipeline on the State of the Union corpus (embedded defaults)…');
    const p = await runPipelineBench();
    result.pipeline = p;
    const full = p.runs[p.runs.length - 1];
    rows.push({
      target: `SOTU ${full.documents} docs (${full.megabytes} MB) indexed`,
      goal: '< 30 s',
      measured: `${fmt(full.seconds, 1)} s (${fmt(full.docs_per_s, 1)} docs/s, ${fmt(full.mb_per_s, 2)} MB/s)`,
      reference: '–',
      ratio: '–',
      met: full.seconds < 30,
    });
    rows.push({ target: 'SOTU peak RSS', goal: '< 1 GB', measured: `${full.peak_rss_mb} MB`, reference: '–', ratio: '–', met: full.peak_rss_mb < 1024 });
    rows.push({
      target: `scaling: ${p.runs.map((r) => `${Math.round(r.fraction * 100)}% ${fmt(r.seconds, 1)} s`).join(', ')}`,
      goal: 'linear in corpus size',
      measured: `${fmt(p.linear_fit.fixed_s, 2)} s + ${fmt(p.linear_fit.per_mb_s, 3)} s/MB`,
      reference: '–',
      ratio: `R² ${fmt(p.linear_fit.r2, 4)}`,
      // Linear with a fixed start-up cost (process, tokenizer tables, worker threads): the fit must be near perfect.
      met: p.linear_fit.r2 >= 0.99,
    });
    rows.push({ target: `query p50 (${p.query.nodes} nodes)`, goal: '< 20 ms', measured: `${fmt(p.query.p50_ms)} ms`, reference: '–', ratio: '–', met: p.query.p50_ms < 20 });
    rows.push({ target: 'query p95', goal: '< 50 ms', measured: `${fmt(p.query.p95_ms)} ms`, reference: '–', ratio: '–', met: p.query.p95_ms < 50 });
    rows.push({ target: `retrieval hit@5 (${p.retrieval.questions} questions)`, goal: 'reported', measured: fmt(p.retrieval.hit_at_5, 3), reference: '–', ratio: '–', met: null });
  }

  if (want('llm')) {
    console.error('▶ LLM-bound run: raptor index against a loopback server answering after 200 ms…');
    const l = await runLlmPipelineBench();
    result.llm = l;
    rows.push({
      target: `LLM-bound index (${l.calls} calls, ${l.max_in_flight} in flight, ${l.latency_ms} ms)`,
      goal: '≤ 1.25 × ideal',
      measured: `${fmt(l.wall_s, 2)} s`,
      reference: `ideal ${fmt(l.ideal_s, 2)} s`,
      ratio: `${fmt(l.ratio, 2)}×`,
      met: l.ratio <= 1.25,
    });
  }

  if (want('checkpoint')) {
    console.error('▶ checkpoint cost vs index size (journal append vs whole-DB export)…');
    const c = await runCheckpointBench();
    result.checkpoint = c;
    const first = c[0];
    for (const r of c) {
      rows.push({
        target: `checkpoint at ${r.chunks.toLocaleString('en-US')} chunks (median / p95)`,
        goal: r === first ? 'baseline' : '≤ 2× the 1k cost',
        measured: `${fmt(r.appendMedianMs)} / ${fmt(r.appendP95Ms)} ms`,
        reference: `naive export ${fmt(r.naiveMedianMs, 0)} ms`,
        ratio: `${fmt(r.naiveMedianMs / r.appendMedianMs, 0)}× cheaper; ${fmt(r.appendMedianMs / first.appendMedianMs, 2)}× the 1k cost`,
        met: r === first ? null : r.appendMedianMs <= 2 * first.appendMedianMs && (r.chunks < 100_000 || r.naiveMedianMs / r.appendMedianMs >= 50),
      });
    }
  }

  result.seconds = Math.round((Date.now() - started) / 1000);
  const out = path.join(__dirname, 'results', 'latest.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Merge with figures of benchmarks not run this time, so a partial run does not erase the others.
  const previous = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
  fs.writeFileSync(out, `${JSON.stringify({ ...previous, ...result }, null, 2)}\n`);

  const table = [
    `Machine: ${machine.cpus} × ${machine.cpu_model}, ${machine.memory_gb} GiB, Node ${machine.node}, ${machine.platform}`,
    '',
    '| target | goal | measured | reference | ratio | met |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.target} | ${r.goal} | ${r.measured} | ${r.reference} | ${r.ratio} | ${r.met === null ? '–' : r.met ? 'yes' : 'NO'} |`),
  ].join('\n');
  console.log(table);
  fs.writeFileSync(path.join(__dirname, 'results', 'latest.md'), `${table}\n`);
  console.error(`(bench took ${result.seconds} s; figures in bench/results/latest.json)`);
}

main().catch((e) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
