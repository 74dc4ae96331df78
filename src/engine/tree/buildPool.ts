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
import type { LocalBuildConfig } from './localBuild';
import type { BuiltTree } from './treeBuilder';

export interface BuildJob {
  id: number;
  absPath: string;
  docPath: string;
  config: LocalBuildConfig;
}

export type BuildReply =
  | { id: number; ok: true; tree: BuiltTree }
  | { id: number; ok: false; error: { name: string; message: string } };

interface Slot {
  worker: Worker;
  busy: boolean;
  dead: boolean;
}

interface Pending {
  resolve: (t: BuiltTree) => void;
  reject: (e: Error) => void;
  slot: Slot;
}

export class BuildPool {
  private readonly slots: Slot[] = [];
  /** Callers waiting for a free slot; each is woken with one. */
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private readonly pending = new Map<number, Pending>();
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
      if (m.ok) p.resolve(m.tree);
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

  async build(job: Omit<BuildJob, 'id'>, signal: AbortSignal): Promise<BuiltTree> {
    const slot = await this.acquire(signal);
    const id = this.nextId++;
    const result = new Promise<BuiltTree>((resolve, reject) => this.pending.set(id, { resolve, reject, slot }));
    const onAbort = () => slot.worker.postMessage({ abort: id });
    signal.addEventListener('abort', onAbort, { once: true });
    slot.worker.postMessage({ ...job, id } satisfies BuildJob);
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
