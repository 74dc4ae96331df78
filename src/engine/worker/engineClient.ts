// The host side of the channel: typed calls into the engine worker, with results validated on arrival,
// and the host's own providers (vscode.lm) served back to the worker.
import { Worker } from 'node:worker_threads';
import { RpcPeer } from './rpcPeer';
import {
  engineMethods,
  hostMethods,
  type EngineMethod,
  type EngineParams,
  type EngineResult,
  type HostParams,
  type HostResult,
  type MessageEndpoint,
} from './protocol';
import type { EngineEvent, TaskStatus } from '../types';

export interface EngineClientOptions {
  /** Summaries asked for by the worker when the index was opened with a hostSummarizerId. */
  summarize?(params: HostParams<'provider/summarize'>, signal: AbortSignal): Promise<HostResult<'provider/summarize'>>;
  onEvent?(event: EngineEvent): void;
  onStatus?(status: TaskStatus): void;
  onInvalidMessage?(detail: string): void;
}

export class EngineClient {
  private readonly peer: RpcPeer;

  constructor(endpoint: MessageEndpoint, opts: EngineClientOptions) {
    this.peer = new RpcPeer(endpoint, {
      async onRequest(method, params, signal) {
        if (method !== 'provider/summarize') throw new Error(`Unknown host request ${method}.`);
        if (!opts.summarize) throw new Error('No host summarizer is available.');
        const parsed = hostMethods['provider/summarize'].params.parse(params);
        return opts.summarize(parsed, signal);
      },
      onNotification(msg) {
        if (msg.kind === 'event') opts.onEvent?.(msg.event as EngineEvent);
        else opts.onStatus?.(msg.status as TaskStatus);
      },
      onInvalidMessage: (d) => opts.onInvalidMessage?.(d),
    });
  }

  get pendingCount(): number {
    return this.peer.pendingCount;
  }

  async call<M extends EngineMethod>(method: M, params: EngineParams<M>, signal?: AbortSignal): Promise<EngineResult<M>> {
    const raw = await this.peer.request(method, params, signal);
    const parsed = engineMethods[method].result.safeParse(raw);
    if (!parsed.success) throw new Error(`The engine sent an invalid reply to ${method}.`);
    return parsed.data as EngineResult<M>;
  }

  close(reason: string): void {
    this.peer.close(reason);
  }
}

/** A client over a real worker thread. `env` is the worker's whole environment (API keys travel here, never in messages). */
export function startEngineWorker(
  workerFile: string,
  env: Record<string, string | undefined>,
  opts: EngineClientOptions & { onExit?(message: string): void },
): { client: EngineClient; worker: Worker } {
  const worker = new Worker(workerFile, { env: env as NodeJS.ProcessEnv });
  const client = new EngineClient(worker, opts);
  let reported = false;
  const stopped = (message: string) => {
    client.close(message);
    if (!reported) opts.onExit?.(message);
    reported = true;
  };
  worker.on('error', (e) => stopped(`The engine worker stopped: ${e.message}`));
  worker.on('exit', (code) => stopped(`The engine worker exited (code ${code}).`));
  return { client, worker };
}
