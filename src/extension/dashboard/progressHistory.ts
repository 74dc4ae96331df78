// A bounded time series of progress, kept in the extension host from activation on, so a dashboard opened late
// (or reopened after a reload of the page) still shows how the task got here. No vscode import: unit-tested in Node.
//
// At most one point per interval: a progress event in the same interval as the newest point updates that point
// in place. When the series outgrows its bound, every other point is dropped and the interval doubles, so the
// resolution stays uniform over the whole run instead of the old part thinning out exponentially.
import { MAX_HISTORY_POINTS, type ProgressEvent, type ProgressSample } from '../../protocol/dashboard';

export interface ProgressHistoryOptions {
  /** Starting resolution (default 1000 ms: at most one point per second). */
  intervalMs?: number;
  /** Bound on the number of points (default 3600). */
  maxPoints?: number;
}

export class ProgressHistory {
  private points: ProgressSample[] = [];
  private nextSeq = 0;
  private interval: number;
  private readonly maxPoints: number;
  /** Bumped on every compaction, so a reader knows its incremental copy is out of date. */
  private compactionCount = 0;
  private latestEvent: ProgressEvent | null = null;

  constructor(options: ProgressHistoryOptions = {}) {
    this.interval = options.intervalMs ?? 1000;
    this.maxPoints = Math.max(2, Math.min(options.maxPoints ?? MAX_HISTORY_POINTS, MAX_HISTORY_POINTS));
  }

  record(event: ProgressEvent, nowMs: number): void {
    this.latestEvent = event;
    const values = {
      total: event.total,
      completed: event.completed,
      failed: event.failed,
      docsPerSecond: event.docsPerSecond,
      tokens: { prompt: event.tokens.prompt, completion: event.tokens.completion, embedding: event.tokens.embedding },
    };
    const last = this.points.at(-1);
    if (last && Math.floor(last.t / this.interval) === Math.floor(nowMs / this.interval)) {
      // Same interval: the newest point follows the latest values (keeps its seq so readers replace it).
      this.points[this.points.length - 1] = { ...values, seq: last.seq, t: Math.max(last.t, nowMs) };
      return;
    }
    this.points.push({ ...values, seq: this.nextSeq++, t: nowMs });
    if (this.points.length > this.maxPoints) this.compact();
  }

  samples(): readonly ProgressSample[] {
    return this.points;
  }

  /** The last progress event recorded (ETA, throughput and elapsed time for a page opened between events). */
  latest(): ProgressEvent | null {
    return this.latestEvent;
  }

  /** Points with seq ≥ `seq`, oldest first (the newest one may be an in-place update of one already read). */
  since(seq: number): ProgressSample[] {
    // Points are in seq order; scan from the end because readers ask for the tail.
    let i = this.points.length;
    while (i > 0 && this.points[i - 1]!.seq >= seq) i--;
    return this.points.slice(i);
  }

  get compactions(): number {
    return this.compactionCount;
  }

  get intervalMs(): number {
    return this.interval;
  }

  clear(): void {
    this.points = [];
    this.latestEvent = null;
    this.compactionCount++;
  }

  private compact(): void {
    // Keep the later point of each pair (values are cumulative) and always the newest point.
    const newest = this.points.at(-1)!;
    const kept = this.points.filter((_, i) => i % 2 === 1);
    if (kept.at(-1) !== newest) kept.push(newest);
    this.points = kept;
    this.interval *= 2;
    this.compactionCount++;
  }
}
