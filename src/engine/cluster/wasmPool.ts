// Reuse of WebAssembly memories between kernel calls. Each WebAssembly.Memory reserves a large span of address space
// and counts as external memory for the garbage collector, so creating one per call is cheap once and costly when
// repeated: indexing a corpus runs thousands of small mixture fits (a few dozen points each), and a fresh memory per
// fit made the whole SOTU run ~12% slower than the plain JavaScript loops. A pool keeps one idle instance per
// kernel and thread; a caller leases it (grown if needed) and hands it back when its views are no longer used.

/** A kernel's instance and its memory, for one caller until `release()`. */
export interface KernelLease {
  readonly memory: WebAssembly.Memory;
  readonly exports: WebAssembly.Exports;
  /** Hands the memory back for reuse; the caller's views into it must not be used afterwards. */
  release(): void;
}

/** Leases larger than this are not kept when released, so a thread does not hold on to a big layer's memory. */
const KEEP_AT_MOST_BYTES = 16 * 1024 * 1024;
const PAGE = 65536;

export class KernelPool {
  private compiled: WebAssembly.Module | null | undefined;
  private idle?: { memory: WebAssembly.Memory; instance: WebAssembly.Instance };

  constructor(
    private readonly base64: string,
    private readonly imports: (memory: WebAssembly.Memory) => WebAssembly.Imports = (memory) => ({ env: { memory } }),
  ) {}

  /** Whether the kernel can run here (WebAssembly, with SIMD where the kernel uses it). */
  available(): boolean {
    return this.module() !== undefined;
  }

  /** An instance whose memory holds at least `bytes`; undefined where the kernel cannot run or memory is short. */
  lease(bytes: number): KernelLease | undefined {
    const module = this.module();
    if (!module) return undefined;
    let slot = this.idle;
    this.idle = undefined;
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    try {
      if (!slot) {
        const memory = new WebAssembly.Memory({ initial: pages });
        slot = { memory, instance: new WebAssembly.Instance(module, this.imports(memory)) };
      } else if (slot.memory.buffer.byteLength < pages * PAGE) {
        slot.memory.grow(pages - slot.memory.buffer.byteLength / PAGE);
      }
    } catch {
      return undefined; // more than one WebAssembly memory can hold (4 GiB), or no memory left: JavaScript serves
    }
    const leased = slot;
    let released = false;
    return {
      memory: leased.memory,
      exports: leased.instance.exports,
      release: () => {
        if (released) return;
        released = true;
        if (leased.memory.buffer.byteLength <= KEEP_AT_MOST_BYTES) this.idle = leased;
      },
    };
  }

  private module(): WebAssembly.Module | undefined {
    if (this.compiled === undefined) {
      try {
        this.compiled = new WebAssembly.Module(Buffer.from(this.base64, 'base64'));
      } catch {
        this.compiled = null; // no WebAssembly (or no SIMD) in this runtime
      }
    }
    return this.compiled ?? undefined;
  }
}
