// The extension host must stay responsive while indexing; this measures it (perf_hooks event-loop delay)
// over each run, and the figure is logged and exposed to tests.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface EventLoopLag {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  seconds: number;
}

export class EventLoopLagMonitor {
  private histogram: IntervalHistogram | undefined;
  private startedAt = 0;
  private last: EventLoopLag | undefined;

  get running(): boolean {
    return this.histogram !== undefined;
  }

  start(): void {
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.startedAt = Date.now();
  }

  /** Stop measuring; returns the run's figures (nanoseconds → ms). */
  stop(): EventLoopLag | undefined {
    const h = this.histogram;
    if (!h) return this.last;
    h.disable();
    this.histogram = undefined;
    const ms = (ns: number) => Math.round((ns / 1e6) * 10) / 10;
    this.last = {
      p50Ms: ms(h.percentile(50)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
      meanMs: ms(h.mean),
      seconds: Math.round((Date.now() - this.startedAt) / 100) / 10,
    };
    return this.last;
  }

  /** The last finished measurement, or a live one while running. */
  snapshot(): EventLoopLag | undefined {
    const h = this.histogram;
    if (!h) return this.last;
    const ms = (ns: number) => Math.round((ns / 1e6) * 10) / 10;
    return { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max), meanMs: ms(h.mean), seconds: (Date.now() - this.startedAt) / 1000 };
  }
}
