// One limiter shared by every document in flight, so N documents never add up to N× the provider's limits:
// requests per minute, tokens per minute and requests in flight. Windows are sliding 60-s logs (exact, not token
// buckets), so no 60-s window ever holds more than the limit. Waiters are served first-come, first-served.
import { setMaxListeners } from 'node:events';
import { AbortError, type Clock, systemClock } from '../ports';

export interface RequestLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  maxInFlight: number;
}

/** Held while one request is in flight. */
export interface LimiterPermit {
  /** Replace the reserved token estimate with what the provider reported (frees or takes TPM room). */
  settle(actualTokens: number): void;
  /** The request is over (success or failure): frees its in-flight slot. Idempotent. */
  release(): void;
}

interface Waiter {
  tokens: number;
  resolve: (p: LimiterPermit) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface WindowEntry {
  at: number;
  tokens: number;
}

const WINDOW_MS = 60_000;

export class RequestLimiter {
  private readonly queue: Waiter[] = [];
  private inFlightCount = 0;
  /** Requests started in the last window, oldest first (RPM and TPM share it). */
  private window: WindowEntry[] = [];
  private windowTokens = 0;
  /** No admissions before this time (set by a 429's Retry-After: the provider asked everyone to wait). */
  private holdUntilMs = 0;
  private wakeTimer?: { at: number; cancel: AbortController };

  constructor(
    private readonly limits: RequestLimits,
    private readonly clock: Clock = systemClock,
  ) {}

  get inFlight(): number {
    return this.inFlightCount;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Wait (cancellably) until a request estimated at `tokens` may start. */
  acquire(tokens: number, signal?: AbortSignal): Promise<LimiterPermit> {
    if (signal?.aborted) return Promise.reject(new AbortError());
    return new Promise<LimiterPermit>((resolve, reject) => {
      const waiter: Waiter = { tokens: Math.max(0, tokens), resolve, reject, signal };
      if (signal) {
        // Every waiter of a task listens on the task's one signal; dozens are normal, not a leak.
        setMaxListeners(0, signal);
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new AbortError());
          this.pump(); // the head may have changed
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Stop admitting requests until `atMs` (clock time). Only ever extends the hold. */
  holdUntil(atMs: number): void {
    if (atMs > this.holdUntilMs) this.holdUntilMs = atMs;
    this.pump();
  }

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.window.length && this.window[drop].at <= now - WINDOW_MS) {
      this.windowTokens -= this.window[drop].tokens;
      drop++;
    }
    if (drop) this.window = this.window.slice(drop);
  }

  /** Admit waiters from the head while limits allow; otherwise arm one timer for when room appears. */
  private pump(): void {
    const now = this.clock.now();
    this.prune(now);
    const { requestsPerMinute: rpm, tokensPerMinute: tpm, maxInFlight } = this.limits;
    while (this.queue.length) {
      if (this.inFlightCount >= maxInFlight) return; // a release() pumps again
      let wakeAt = 0;
      if (now < this.holdUntilMs) wakeAt = this.holdUntilMs;
      else if (rpm !== undefined && this.window.length >= rpm) wakeAt = this.window[this.window.length - rpm].at + WINDOW_MS;
      else if (tpm !== undefined && this.windowTokens > 0 && this.windowTokens + this.queue[0].tokens > tpm) {
        // A request bigger than the whole TPM limit still goes, alone, once the window is empty (never deadlock).
        let freed = 0;
        for (const e of this.window) {
          freed += e.tokens;
          if (this.windowTokens - freed + this.queue[0].tokens <= tpm || freed === this.windowTokens) {
            wakeAt = e.at + WINDOW_MS;
            break;
          }
        }
      }
      if (wakeAt > now) return this.armTimer(wakeAt);
      const waiter = this.queue.shift()!;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.admit(waiter.tokens, now));
    }
    // Nobody waits: drop the timer so an idle limiter never keeps the process alive.
    this.wakeTimer?.cancel.abort();
    this.wakeTimer = undefined;
  }

  private admit(tokens: number, now: number): LimiterPermit {
    this.inFlightCount++;
    const entry: WindowEntry = { at: now, tokens };
    this.window.push(entry);
    this.windowTokens += tokens;
    let released = false;
    return {
      settle: (actual: number) => {
        const delta = Math.max(0, actual) - entry.tokens;
        entry.tokens += delta;
        // Only adjust the running sum while the entry is still in the window.
        if (this.window.includes(entry)) this.windowTokens += delta;
        this.pump();
      },
      release: () => {
        if (released) return;
        released = true;
        this.inFlightCount--;
        this.pump();
      },
    };
  }

  private armTimer(at: number): void {
    if (this.wakeTimer && this.wakeTimer.at <= at) return;
    this.wakeTimer?.cancel.abort();
    const cancel = new AbortController();
    this.wakeTimer = { at, cancel };
    this.clock.sleep(Math.max(1, at - this.clock.now()), cancel.signal).then(
      () => {
        if (this.wakeTimer?.cancel === cancel) this.wakeTimer = undefined;
        this.pump();
      },
      () => undefined, // replaced by an earlier timer
    );
  }
}
