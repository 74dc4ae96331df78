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
}

export class BuildPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<number, { resolve: (t: BuiltTree) => void; reject: (e: Error) => void; slot: Slot }>();
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
    const slot: Slot = { worker, busy: false };
    worker.on('message', (m: BuildReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.tree);
      else p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
      this.release(slot);
    });
    const fail = (err: Error) => {
      // A crashed worker fails its job (the runner retries it) and is replaced on next use.
      this.slots.splice(this.slots.indexOf(slot), 1);
      for (const [id, p] of this.pending) {
        if (p.slot === slot) {
          this.pending.delete(id);
          p.reject(new Error(`The build worker stopped unexpectedly (${err.message}).`));
        }
      }
      this.wake();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed && code !== 0) fail(new Error(`exit code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  private async acquire(signal: AbortSignal): Promise<Slot> {
    for (;;) {
      if (signal.aborted) throw new AbortError();
      const free = this.slots.find((s) => !s.busy);
      if (free) return free;
      if (this.slots.length < this.size) return this.spawn();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(slot: Slot): void {
    slot.busy = false;
    this.wake();
  }

  private wake(): void {
    this.waiting.shift()?.();
  }

  async build(job: Omit<BuildJob, 'id'>, signal: AbortSignal): Promise<BuiltTree> {
    const slot = await this.acquire(signal);
    slot.busy = true;
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
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}
