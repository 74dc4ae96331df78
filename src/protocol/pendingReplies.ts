// Matches replies to requests by id. The page sends a request with a fresh id and awaits the promise this returns;
// the host's `reply` settles it. Every way out (reply ok, reply error, post throws, timeout, dispose) clears the
// pending entry, so a page that runs for days does not accumulate dead promises.
import type { PageRequest, PageRequestBody, ReplyMessage } from './dashboard';

export class RequestFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestFailedError';
  }
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The platform's timers (tests pass timers they fire by hand). */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

interface Pending {
  resolve(): void;
  reject(e: Error): void;
  timer: unknown;
}

export class PendingReplies {
  private nextId: number;
  private readonly pending = new Map<number, Pending>();

  /**
   * @param firstId where this page's ids start; the page picks a random one so that a reply meant for an earlier
   *   instance of the page (reloaded while a request was in flight) cannot settle one of its requests.
   */
  constructor(
    private readonly post: (message: PageRequest) => void,
    private readonly timeoutMs = 30_000,
    private readonly timers: Timers = systemTimers,
    firstId = 1,
  ) {
    this.nextId = firstId;
  }

  /** Sends the request; resolves when the host replies ok, rejects with the host's sentence otherwise. */
  request(body: PageRequestBody): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.settle(id, new RequestFailedError('The extension did not answer in time.'));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.post({ ...body, id } as PageRequest);
      } catch (e) {
        this.settle(id, new RequestFailedError(`Could not send the request: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  /** Settles the matching request. Returns false for a reply nobody waits for (late, duplicate or forged). */
  onReply(reply: ReplyMessage): boolean {
    if (!this.pending.has(reply.id)) return false;
    this.settle(reply.id, reply.ok ? undefined : new RequestFailedError(reply.error ?? 'The request failed.'));
    return true;
  }

  /** Rejects everything still waiting (the page is going away). */
  dispose(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, new RequestFailedError('The dashboard was closed.'));
  }

  get size(): number {
    return this.pending.size;
  }

  private settle(id: number, error: Error | undefined): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    this.timers.clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve();
  }
}
