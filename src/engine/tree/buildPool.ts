// A pool of worker threads that build documents with the embedded providers. Building a tree with the local
// embedder and the extractive summarizer is pure CPU (chunking, hashing, clustering), so one thread would leave
// the other cores idle; with N workers N documents are built at once. Paid providers do not use the pool: their
// calls must share one limiter, budget and call cache, which live in the runner's thread.
//
// The pool exists only where its bundle does (dist/buildWorker.js beside the running bundle); from sources
// (tests under tsx) documents are built in-process, with the same code.
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { AbortError } from '../ports';
import type { ClusterOptions } from '../cluster';
import type { LocalBuildConfig } from './localBuild';
import type { BuiltTree } from './treeBuilder';

export interface BuildJob {
  kind: 'build';
  id: number;
  absPath: string;
  docPath: string;
  config: LocalBuildConfig;
}

/** Only the clustering of one layer (for documents whose calls go to paid providers in the runner's thread). */
export interface ClusterJob {
  kind: 'cluster';
  id: number;
  embeddings: Float32Array[];
  tokenCounts: number[];
  opts: Omit<ClusterOptions, 'signal'>;
}

export type BuildReply =
  | { id: number; ok: true; tree: BuiltTree }
  | { id: number; ok: true; clusters: number[][] }
  | { id: number; ok: false; error: { name: string; message: string } };

interface Slot {
  worker: Worker;
  busy: boolean;
  dead: boolean;
}

interface Pending<T> {
  resolve: (t: T) => void;
  reject: (e: Error) => void;
  slot: Slot;
}

export class BuildPool {
  private readonly slots: Slot[] = [];
  /** Callers waiting for a free slot; each is woken with one. */
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private readonly pending = new Map<number, Pending<never>>();
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly file: string,
    private readonly size: number,
  ) {}

  /** A pool of `size` workers, or undefined when the worker bundle is not available. */
  static create(size: number, dir = __dirname): BuildPool | undefined {
    const file = path.join(dir, 'buildWorker.js');
    if (size < 1 || !fs.existsSync(file)) return undefined;
    return new BuildPool(file, size);
  }

  private spawn(): Slot {
    const worker = new Worker(this.file);
    worker.unref();
    const slot: Slot = { worker, busy: true, dead: false };
    worker.on('message', (m: BuildReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(('tree' in m ? m.tree : m.clusters) as never);
      else p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
      this.release(slot);
    });
    // Node emits 'error' and then 'exit' for a crash: retire the slot once, fail its job (the runner retries it),
    // and let the next caller spawn a replacement.
    const fail = (err: Error) => {
      if (slot.dead) return;
      slot.dead = true;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(new Error(`The build worker stopped unexpectedly (${err.message}).`));
      }
      if (!this.closed && this.waiting.length && this.slots.length < this.size) this.waiting.shift()!(this.spawn());
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`exit code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  /** A free slot, marked busy before this returns (so concurrent callers never share one). */
  private acquire(signal: AbortSignal): Promise<Slot> {
    if (signal.aborted) return Promise.reject(new AbortError());
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    if (this.slots.length < this.size) return Promise.resolve(this.spawn());
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AbortError());
      };
      const grant = (slot: Slot) => {
        signal.removeEventListener('abort', onAbort);
        resolve(slot);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  /** Hand the slot straight to the next waiter, or mark it free. */
  private release(slot: Slot): void {
    if (slot.dead) return;
    const next = this.waiting.shift();
    if (next) next(slot);
    else slot.busy = false;
  }

  /** Build a whole document with the embedded providers. */
  build(job: Omit<BuildJob, 'id' | 'kind'>, signal: AbortSignal): Promise<BuiltTree> {
    return this.run<BuiltTree>({ ...job, kind: 'build' }, signal);
  }

  /** Cluster one layer. */
  cluster(embeddings: Float32Array[], tokenCounts: number[], opts: Omit<ClusterOptions, 'signal'>, signal: AbortSignal): Promise<number[][]> {
    return this.run<number[][]>({ kind: 'cluster', embeddings, tokenCounts, opts }, signal);
  }

  private async run<T>(job: Omit<BuildJob, 'id'> | Omit<ClusterJob, 'id'>, signal: AbortSignal): Promise<T> {
    const slot = await this.acquire(signal);
    const id = this.nextId++;
    const result = new Promise<T>((resolve, reject) => this.pending.set(id, { resolve, reject, slot } as Pending<never>));
    const onAbort = () => slot.worker.postMessage({ abort: id });
    signal.addEventListener('abort', onAbort, { once: true });
    slot.worker.postMessage({ ...job, id });
    try {
      return await result;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new AbortError('The build pool was closed'));
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
