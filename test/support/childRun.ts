// The `raptor` CLI as real child processes, for fault-injection tests (crash*, remote*): a private bundle of the
// current sources, async runs (never spawnSync: the loopback server lives in the test process and must keep
// answering while a child runs), a handle on a running `raptor index` that can be waited on or killed, and
// small helpers over the server's stats and the index files.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { OpenAIServerStats } from './openaiServer';
import { createRng } from '../../src/engine/cluster/random';

const repo = path.join(__dirname, '..', '..');

let launcher: string | undefined;

/**
 * Bundle src/cli/main.ts into a private folder once per test process, so a concurrent `npm run build` in the shared
 * tree can never hand a child a half-written dist/cli.js, and so the tests exercise the sources as they are now.
 * Returns the path of a launcher script equivalent to bin/raptor.js.
 */
export async function cliLauncher(): Promise<string> {
  if (launcher) return launcher;
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'raptor-cli-bundle-'));
  process.once('exit', () => fs.rmSync(out, { recursive: true, force: true }));
  // The same Node bundles esbuild.js ships beside dist/cli.js that the CLI loads at run time (the build workers).
  const entries = [
    { in: 'src/cli/main.ts', out: 'cli' },
    { in: 'src/engine/tree/buildWorker.ts', out: 'buildWorker' },
  ].filter((e) => fs.existsSync(path.join(repo, e.in)));
  await esbuild.build({
    entryPoints: entries.map((e) => ({ in: path.join(repo, e.in), out: e.out })),
    outdir: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    loader: { '.wasm': 'file' },
    logLevel: 'error',
  });
  fs.copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(out, 'sql-wasm.wasm'));
  fs.copyFileSync(path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'legacy/build/pdf.worker.mjs'), path.join(out, 'pdf.worker.mjs'));
  const file = path.join(out, 'raptor.js');
  fs.writeFileSync(
    file,
    `'use strict';\nrequire(${JSON.stringify(path.join(out, 'cli.js'))}).main(process.argv.slice(2)).then((c) => { process.exitCode = c; });\n`,
  );
  launcher = file;
  return file;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the child (SIGKILL) after this long; the result then has signal SIGKILL. */
  timeoutMs?: number;
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  // No real key, no real endpoint: a test must never reach the internet by accident.
  const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, DEBUG: '1' };
  for (const [k, v] of Object.entries(extra)) env[k] = v;
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

/** A running `raptor …` child. */
export class RaptorChild {
  readonly child: ChildProcess;
  readonly started = Date.now();
  readonly exited: Promise<CliResult>;
  private out = '';
  private err = '';
  private readonly listeners = new Set<() => void>();

  constructor(bin: string, args: string[], opts: CliOptions = {}) {
    this.child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd ?? repo, env: childEnv(opts.env) });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      for (const l of this.listeners) l();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString();
      for (const l of this.listeners) l();
    });
    const timer = opts.timeoutMs ? setTimeout(() => this.child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    this.exited = new Promise((resolve) => {
      // 'close' (not 'exit'): every byte of stdout/stderr has arrived.
      this.child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ code, signal, stdout: this.out, stderr: this.err, ms: Date.now() - this.started });
      });
    });
  }

  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }

  /** Resolves when `re` matches stdout+stderr so far; rejects after `ms` or when the child ends first. */
  waitFor(re: RegExp, ms = 60_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (e?: Error) => {
        if (done) return;
        done = true;
        this.listeners.delete(check);
        clearTimeout(t);
        if (e) reject(e);
        else resolve();
      };
      const check = () => {
        if (re.test(this.out + this.err)) finish();
      };
      const t = setTimeout(() => finish(new Error(`timed out waiting for ${re} in:\n${this.out}${this.err}`)), ms);
      this.listeners.add(check);
      void this.exited.then(() => {
        check();
        finish(new Error(`the child ended before ${re} appeared:\n${this.out}${this.err}`));
      });
      check();
    });
  }

  /** SIGKILL: no handler runs, nothing is flushed — a power cut as far as the process is concerned. */
  async killHard(): Promise<CliResult> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

export async function startRaptor(args: string[], opts: CliOptions = {}): Promise<RaptorChild> {
  return new RaptorChild(await cliLauncher(), args, opts);
}

export async function raptor(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return (await startRaptor(args, { timeoutMs: 180_000, ...opts })).exited;
}

/** `raptor status --json` of a folder, parsed; throws with the child's stderr when it does not exit 0. */
export async function statusJson(root: string, extra: string[] = []): Promise<StatusJson> {
  const r = await raptor(['status', root, '--json', ...extra]);
  if (r.code !== 0) throw new Error(`raptor status exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusJson;
}

export async function exportLines(root: string, extra: string[] = []): Promise<string> {
  const r = await raptor(['export', root, ...extra]);
  if (r.code !== 0) throw new Error(`raptor export exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export interface StatusDocument {
  path: string;
  state: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
  retry_count: number;
  error: string | null;
  token_count: { prompt: number; completion: number; embedding: number; total: number };
  chunks: number;
  nodes: number;
  layers: number;
}

export interface StatusJson {
  status: string;
  total_documents: number;
  completed_documents: number;
  failed_documents: number;
  pending_documents: number;
  running_documents: number;
  token_count: { prompt: number; completion: number; embedding: number; total: number };
  message: string | null;
  documents: StatusDocument[];
}

/** Calls the server received more than once: Σ (count − 1) over byPrompt. */
export function repeatedCalls(stats: OpenAIServerStats): number {
  return Object.values(stats.byPrompt).reduce((s, n) => s + Math.max(0, n - 1), 0);
}

/** Requests the server has received but not yet answered (nor seen abandoned). */
export function requestsInFlight(stats: OpenAIServerStats): number {
  const faults = Object.values(stats.faults).reduce((s, n) => s + (n ?? 0), 0);
  return stats.requests - stats.succeeded - faults - stats.clientAborts;
}

/** Resolves once `predicate` holds, checking every `everyMs`; rejects after `ms`. */
export function until(predicate: () => boolean, ms = 60_000, everyMs = 2): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`condition not met within ${ms} ms`));
      setTimeout(tick, everyMs);
    };
    tick();
  });
}

/** Seeded uniform [0,1) (the engine's mulberry32), so "random" kill moments and offsets are the same on every run. */
export function seededRandom(seed: number): () => number {
  return createRng(seed).next;
}

/** Copy a folder (documents and their .raptor index), keeping mtimes so the copy's documents look unchanged. */
export function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, preserveTimestamps: true });
}
