// The typed channel between the extension host and the engine worker (worker_threads).
// Every message crossing it is validated with zod on arrival; unknown or malformed ones are dropped and reported.
// Requests go both ways and are matched by id: the host asks the engine to run/pause/query..., and the worker
// asks the host for providers that only exist there (vscode.lm). Abort is a message, since AbortSignal cannot cross.
import { z } from 'zod';
import { DOCUMENT_STATES, TASK_STATES } from '../types';

const TokensSchema = z.object({
  prompt: z.number(),
  completion: z.number(),
  embedding: z.number(),
  total: z.number(),
});

const LocationSchema = z.object({
  start: z.number(),
  end: z.number(),
  lineStart: z.number(),
  lineEnd: z.number(),
  page: z.number().optional(),
});

export const DocumentStatusSchema = z.object({
  path: z.string(),
  state: z.enum(DOCUMENT_STATES),
  retry_count: z.number(),
  error: z.string().nullable(),
  token_count: TokensSchema,
  chunks: z.number(),
  nodes: z.number(),
  layers: z.number(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  stale: z.boolean().optional(),
});

export const TaskStatusSchema = z.object({
  task_id: z.string(),
  status: z.enum(TASK_STATES),
  total_documents: z.number(),
  completed_documents: z.number(),
  failed_documents: z.number(),
  pending_documents: z.number(),
  running_documents: z.number(),
  cancelled_documents: z.number(),
  progress: z.number(),
  token_count: TokensSchema,
  created_at: z.string().nullable(),
  started_at: z.string().nullable(),
  paused_at: z.string().nullable(),
  resumed_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  message: z.string().nullable(),
  documents: z.array(DocumentStatusSchema),
});

export const EngineEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('task/state'), state: z.enum(TASK_STATES), message: z.string().nullable() }),
  z.object({
    type: z.literal('document/state'),
    path: z.string(),
    state: z.enum(DOCUMENT_STATES),
    error: z.string().nullable(),
    retryCount: z.number(),
  }),
  z.object({
    type: z.literal('progress'),
    total: z.number(),
    completed: z.number(),
    failed: z.number(),
    running: z.number(),
    pending: z.number(),
    cancelled: z.number(),
    tokens: TokensSchema,
    docsPerSecond: z.number(),
    etaSeconds: z.number().nullable(),
    elapsedSeconds: z.number(),
  }),
  z.object({ type: z.literal('log'), level: z.enum(['trace', 'debug', 'info', 'warn', 'error']), message: z.string() }),
]);

export const QueryHitSchema = z.object({
  id: z.string(),
  doc: z.string(),
  layer: z.number(),
  score: z.number(),
  text: z.string(),
  location: LocationSchema.optional(),
});

export const TreeNodeViewSchema = z.object({
  id: z.string(),
  doc: z.string(),
  layer: z.number(),
  index: z.number(),
  text: z.string(),
  tokens: z.number(),
  children: z.array(z.string()),
  location: LocationSchema.optional(),
});

export const RunOutcomeSchema = z.object({
  state: z.enum(TASK_STATES),
  completed: z.number(),
  failed: z.number(),
  message: z.string().nullable(),
});

export const CostEstimateSchema = z.object({
  documents: z.number(),
  calls: z.object({ summary: z.number(), embedding: z.number() }),
  tokens: TokensSchema,
});

const PathParams = z.object({ path: z.string().min(1) });
const NoParams = z.object({}).strict();

/** Requests the host sends to the engine worker: params and result schemas, by method name (`scope/verb`). */
export const engineMethods = {
  'index/open': {
    params: z.object({
      root: z.string().min(1),
      dbPath: z.string().min(1),
      /** Validated again by the engine with parseConfig; unknown here on purpose (one source of truth). */
      config: z.unknown(),
      /** When set, summaries are asked of the host (vscode.lm) with this provider id, e.g. `vscode-lm:copilot/gpt-4o`. */
      hostSummarizerId: z.string().nullable(),
      /** Status and search only, without the writer lock (so the CLI can write meanwhile); reopened writable to run. */
      readOnly: z.boolean().optional(),
    }),
    result: TaskStatusSchema,
  },
  'index/status': { params: NoParams, result: TaskStatusSchema },
  'index/run': { params: NoParams, result: RunOutcomeSchema },
  'index/pause': { params: z.object({ reason: z.string().optional() }), result: z.null() },
  'index/cancel': { params: NoParams, result: z.null() },
  'index/retryFailed': { params: NoParams, result: z.number() },
  'index/retryDocument': { params: PathParams, result: z.boolean() },
  'index/reindexDocument': { params: PathParams, result: z.boolean() },
  'index/markChanged': { params: z.object({ paths: z.array(z.string()) }), result: z.null() },
  'index/reset': { params: NoParams, result: z.null() },
  'index/query': {
    params: z.object({
      text: z.string().min(1),
      topK: z.number().int().positive().optional(),
      maxTokens: z.number().int().positive().optional(),
      mode: z.enum(['collapsed', 'traversal']).optional(),
    }),
    result: z.array(QueryHitSchema),
  },
  'index/documentTree': { params: PathParams, result: z.array(TreeNodeViewSchema) },
  'index/close': { params: NoParams, result: z.null() },
  /** What a run would cost with the configured providers (nothing written, nothing sent): asked before large runs. */
  'index/estimate': { params: NoParams, result: CostEstimateSchema },
} as const;

/** Requests the worker sends to the host (providers that only exist in the extension host). */
export const hostMethods = {
  'provider/summarize': {
    params: z.object({ providerId: z.string(), texts: z.array(z.string()), maxTokens: z.number().int().positive() }),
    result: z.object({
      text: z.string(),
      usage: z.object({ prompt: z.number().optional(), completion: z.number().optional(), embedding: z.number().optional() }),
      cached: z.boolean().optional(),
    }),
  },
} as const;

export type EngineMethod = keyof typeof engineMethods;
export type EngineParams<M extends EngineMethod> = z.input<(typeof engineMethods)[M]['params']>;
export type EngineResult<M extends EngineMethod> = z.output<(typeof engineMethods)[M]['result']>;
export type HostMethod = keyof typeof hostMethods;
export type HostParams<M extends HostMethod> = z.output<(typeof hostMethods)[M]['params']>;
export type HostResult<M extends HostMethod> = z.input<(typeof hostMethods)[M]['result']>;

/** An error crossing the channel: a message for the user and a name so AbortError survives the trip. */
export const WireErrorSchema = z.object({ name: z.string(), message: z.string() });
export type WireError = z.infer<typeof WireErrorSchema>;

/** The envelope, shared by both directions. */
export const ChannelMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('request'), id: z.number().int(), method: z.string(), params: z.unknown() }),
  /** ok: result holds the answer; otherwise error says why. */
  z.object({
    kind: z.literal('response'),
    id: z.number().int(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: WireErrorSchema.optional(),
  }),
  /** Cancel the request with this id (sent by whoever sent that request). */
  z.object({ kind: z.literal('abort'), id: z.number().int() }),
  /** Worker → host only. */
  z.object({ kind: z.literal('event'), event: EngineEventSchema }),
  /** Worker → host only: a coalesced snapshot after events, so views need not ask. */
  z.object({ kind: z.literal('status'), status: TaskStatusSchema }),
]);
export type ChannelMessage = z.infer<typeof ChannelMessageSchema>;

/** What both a Worker and a MessagePort offer; tests use a MessageChannel instead of a thread. */
export interface MessageEndpoint {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export function toWireError(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

export function fromWireError(w: WireError): Error {
  const e = new Error(w.message);
  e.name = w.name;
  return e;
}
