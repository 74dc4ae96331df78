// One end of the host↔worker channel: sends requests and matches replies by id, serves the other side's
// requests, and carries aborts as messages both ways. Both ends use it, so the matching logic exists once.
import { ChannelMessageSchema, fromWireError, toWireError, type ChannelMessage, type MessageEndpoint } from './protocol';
import { AbortError } from '../ports';

export interface RpcPeerHandlers {
  /** Serve a request from the other side; the signal aborts when the other side sends `abort`. */
  onRequest(method: string, params: unknown, signal: AbortSignal): Promise<unknown>;
  /** Events and status snapshots (anything that is not request/response/abort). */
  onNotification?(message: Extract<ChannelMessage, { kind: 'event' | 'status' }>): void;
  /** A message that failed validation: dropped, but reported so it is not silent. */
  onInvalidMessage?(detail: string): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  cleanup(): void;
}

export class RpcPeer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly serving = new Map<number, AbortController>();
  private closedReason: string | undefined;
  private readonly listener = (raw: unknown) => this.receive(raw);

  constructor(
    private readonly endpoint: MessageEndpoint,
    private readonly handlers: RpcPeerHandlers,
  ) {
    endpoint.on('message', this.listener);
  }

  /** Pending outgoing requests; exposed so tests can check nothing leaks. */
  get pendingCount(): number {
    return this.pending.size;
  }

  request(method: string, params: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.closedReason !== undefined) return Promise.reject(new Error(this.closedReason));
    if (signal?.aborted) return Promise.reject(new AbortError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.endpoint.postMessage({ kind: 'abort', id } satisfies ChannelMessage);
        this.settle(id)?.reject(new AbortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, reject, cleanup: () => signal?.removeEventListener('abort', onAbort) });
      this.endpoint.postMessage({ kind: 'request', id, method, params } satisfies ChannelMessage);
    });
  }

  notify(message: Extract<ChannelMessage, { kind: 'event' | 'status' }>): void {
    if (this.closedReason === undefined) this.endpoint.postMessage(message);
  }

  /** Reject everything in flight (the other side died or we are shutting down) and stop listening. */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.endpoint.off('message', this.listener);
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new Error(reason));
    for (const controller of this.serving.values()) controller.abort();
    this.serving.clear();
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    p.cleanup();
    return p;
  }

  private receive(raw: unknown): void {
    const parsed = ChannelMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.handlers.onInvalidMessage?.(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return;
    }
    const msg = parsed.data;
    switch (msg.kind) {
      case 'response': {
        const p = this.settle(msg.id);
        if (!p) return; // already aborted locally: a late reply is expected, not an error
        if (msg.ok) p.resolve(msg.result ?? null);
        else p.reject(fromWireError(msg.error ?? { name: 'Error', message: 'Unknown error' }));
        return;
      }
      case 'abort':
        this.serving.get(msg.id)?.abort();
        return;
      case 'request':
        void this.serve(msg.id, msg.method, msg.params);
        return;
      default:
        this.handlers.onNotification?.(msg);
    }
  }

  private async serve(id: number, method: string, params: unknown): Promise<void> {
    const controller = new AbortController();
    this.serving.set(id, controller);
    let reply: ChannelMessage;
    try {
      const result = await this.handlers.onRequest(method, params, controller.signal);
      reply = { kind: 'response', id, ok: true, result: result ?? null };
    } catch (e) {
      reply = { kind: 'response', id, ok: false, error: toWireError(e) };
    } finally {
      this.serving.delete(id);
    }
    if (this.closedReason === undefined) this.endpoint.postMessage(reply);
  }
}
