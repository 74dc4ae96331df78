// The worker side of the channel: owns one index (one workspace folder) and answers the host's requests.
// Kept apart from the thread entry (engineWorker.ts) so tests can serve it over a MessageChannel with a fake index.
import type { Summarizer } from '../ports';
import type { EngineEvent, QueryHit, TaskStatus, TreeNode } from '../types';
import type { CostEstimate } from '../raptorIndex';
import { RpcPeer } from './rpcPeer';
import {
  engineMethods,
  hostMethods,
  type EngineMethod,
  type EngineParams,
  type EngineResult,
  type MessageEndpoint,
  type WireError,
} from './protocol';

/** What the worker needs of the engine facade (RaptorIndex satisfies it). */
export interface ServedIndex {
  onEvent(listener: (e: EngineEvent) => void): () => void;
  status(): TaskStatus;
  run(opts?: { signal?: AbortSignal }): Promise<EngineResult<'index/run'>>;
  pause(reason?: string): void;
  cancel(): void;
  retryFailed(): number;
  retryDocument(path: string): boolean;
  reindexDocument(path: string): boolean;
  markChanged(paths: string[]): void;
  reset(): Promise<void>;
  query(text: string, opts?: { topK?: number; maxTokens?: number; mode?: 'collapsed' | 'traversal' }): Promise<QueryHit[]>;
  documentTree(path: string): Array<Omit<TreeNode, 'embedding'>>;
  estimate(signal?: AbortSignal): Promise<CostEstimate>;
  close(): Promise<void>;
}

export interface OpenServedIndex {
  (opts: { root: string; dbPath: string; config: unknown; summarizer?: Summarizer; readOnly?: boolean }): Promise<ServedIndex>;
}

/**
 * Status snapshots follow events at most this often: hundreds of document events a second must not flood the host.
 * A snapshot carries every document (a 10k-document one costs the host ~20 ms to receive and validate), so big
 * indexes are pushed less often: 200 ms up to 4k documents, then 1 ms per 20 documents, at most 2 s.
 */
export function statusPushInterval(documents: number): number {
  return Math.min(2000, Math.max(200, Math.round(documents / 20)));
}

export function serveEngine(endpoint: MessageEndpoint, openIndex: OpenServedIndex, onInvalidMessage?: (e: WireError) => void): RpcPeer {
  let index: ServedIndex | undefined;
  let unsubscribe: (() => void) | undefined;
  let running: Promise<EngineResult<'index/run'>> | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let lastDocumentCount = 0;

  const pushStatus = () => {
    if (statusTimer) clearTimeout(statusTimer);
    statusTimer = undefined;
    if (!index) return;
    const status = index.status();
    lastDocumentCount = status.documents.length;
    peer.notify({ kind: 'status', status });
  };
  const scheduleStatus = () => {
    statusTimer ??= setTimeout(pushStatus, statusPushInterval(lastDocumentCount));
  };

  const need = (): ServedIndex => {
    if (!index) throw new Error('The index is not open.');
    return index;
  };

  const handlers: { [M in EngineMethod]: (p: EngineParams<M>, signal: AbortSignal) => Promise<EngineResult<M>> | EngineResult<M> } = {
    'index/open': async (p) => {
      if (index) throw new Error('The index is already open in this worker.');
      const summarizer: Summarizer | undefined = p.hostSummarizerId
        ? {
            id: p.hostSummarizerId,
            summarize: async (req, ctx) => {
              const raw = await peer.request(
                'provider/summarize',
                { providerId: p.hostSummarizerId, texts: req.texts, maxTokens: req.maxTokens },
                ctx.signal,
              );
              return hostMethods['provider/summarize'].result.parse(raw);
            },
          }
        : undefined;
      index = await openIndex({ root: p.root, dbPath: p.dbPath, config: p.config, summarizer, readOnly: p.readOnly });
      unsubscribe = index.onEvent((event) => {
        peer.notify({ kind: 'event', event });
        scheduleStatus();
      });
      return index.status();
    },
    'index/status': () => need().status(),
    'index/run': () => {
      // A second Run while one is in flight joins it rather than starting a rival.
      running ??= need()
        .run()
        .finally(() => {
          running = undefined;
          pushStatus();
        });
      return running;
    },
    'index/pause': (p) => (need().pause(p.reason), null),
    'index/cancel': () => (need().cancel(), null),
    'index/retryFailed': () => withStatus(need().retryFailed()),
    'index/retryDocument': (p) => withStatus(need().retryDocument(p.path)),
    'index/reindexDocument': (p) => withStatus(need().reindexDocument(p.path)),
    'index/markChanged': (p) => withStatus((need().markChanged(p.paths), null)),
    'index/reset': async () => withStatus((await need().reset(), null)),
    'index/query': (p) => need().query(p.text, { topK: p.topK, maxTokens: p.maxTokens, mode: p.mode }),
    'index/documentTree': (p) => need().documentTree(p.path),
    'index/estimate': (_p, signal) => need().estimate(signal),
    'index/close': async () => {
      if (statusTimer) clearTimeout(statusTimer);
      statusTimer = undefined;
      unsubscribe?.();
      const closing = index;
      index = undefined;
      await closing?.close();
      return null;
    },
  };

  function withStatus<T>(value: T): T {
    pushStatus();
    return value;
  }

  const peer = new RpcPeer(endpoint, {
    async onRequest(method, params, signal) {
      if (!(method in engineMethods)) throw new Error(`Unknown engine request ${method}.`);
      const m = method as EngineMethod;
      const parsed = engineMethods[m].params.safeParse(params);
      if (!parsed.success) throw new Error(`Invalid ${m} request: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
      const handler = handlers[m] as (p: unknown, signal: AbortSignal) => unknown;
      return handler(parsed.data, signal);
    },
    onInvalidMessage(detail) {
      onInvalidMessage?.({ name: 'ProtocolError', message: `Dropped an invalid message from the host: ${detail}` });
    },
  });
  return peer;
}
