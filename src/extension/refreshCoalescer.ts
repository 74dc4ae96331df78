// Hundreds of document state changes a second must not flood the tree or the status bar: refresh at most
// once per interval, on the leading edge (feels instant when changes are rare) and once more on the trailing edge
// (the last change is never lost). Timers are injected so the unit test is deterministic.

export interface CoalescerTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: CoalescerTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class RefreshCoalescer {
  private lastFlush = -Infinity;
  private timer: unknown;
  private disposed = false;

  constructor(
    private readonly flush: () => void,
    /** 250 ms = at most 4 refreshes a second. */
    private readonly minIntervalMs = 250,
    private readonly timers: CoalescerTimers = realTimers,
  ) {}

  request(): void {
    if (this.disposed || this.timer !== undefined) return;
    const wait = this.lastFlush + this.minIntervalMs - this.timers.now();
    if (wait <= 0) this.run();
    else this.timer = this.timers.setTimeout(() => this.run(), wait);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    this.timer = undefined;
    if (this.disposed) return;
    this.lastFlush = this.timers.now();
    this.flush();
  }
}
