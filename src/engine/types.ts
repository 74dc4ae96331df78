// Shared domain types of the engine. Plain TypeScript: no vscode, no DOM, no Node-only APIs.

/** The one state a document is in. Every view (CLI, tree, status bar, dashboard) renders this union. */
export const DOCUMENT_STATES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type DocumentState = (typeof DOCUMENT_STATES)[number];

/** The state of a whole indexing task. */
export const TASK_STATES = ['pending', 'running', 'paused', 'cancelled', 'completed', 'failed'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** Tokens spent, by kind. `total` is always derived: prompt + completion + embedding. */
export interface TokenCount {
  prompt: number;
  completion: number;
  embedding: number;
}
export interface TokenCountWithTotal extends TokenCount {
  total: number;
}

export const ZERO_TOKENS: Readonly<TokenCount> = Object.freeze({ prompt: 0, completion: 0, embedding: 0 });

export function addTokens(a: TokenCount, b: Partial<TokenCount>): TokenCount {
  return {
    prompt: a.prompt + (b.prompt ?? 0),
    completion: a.completion + (b.completion ?? 0),
    embedding: a.embedding + (b.embedding ?? 0),
  };
}

export function withTotal(t: TokenCount): TokenCountWithTotal {
  return { ...t, total: t.prompt + t.completion + t.embedding };
}

/** Where a piece of text came from, so results can be cited and opened at the right place. */
export interface SourceLocation {
  /** Character offsets into the document's extracted text, [start, end). */
  start: number;
  end: number;
  /** 1-based inclusive line range in the extracted text. */
  lineStart: number;
  lineEnd: number;
  /** 1-based page, for paged formats (PDF). */
  page?: number;
}

/** A document's extracted plain text. */
export interface ParsedDocument {
  text: string;
  /** For paged formats: the character offset at which each page starts (pageStarts[0] === 0). */
  pageStarts?: number[];
}

/** A leaf of a RAPTOR tree. */
export interface Chunk extends SourceLocation {
  index: number;
  text: string;
  tokens: number;
}

/** One node of a RAPTOR tree: a chunk (layer 0) or a summary of a cluster of the layer below. */
export interface TreeNode {
  /** Deterministic: derived from the document and the node's content/position. */
  id: string;
  doc: string;
  layer: number;
  /** Position within its layer. */
  index: number;
  text: string;
  tokens: number;
  embedding: Float32Array;
  /** Ids of the nodes of the layer below that this node summarises (empty for leaves). */
  children: string[];
  /** Source location, for leaves. */
  location?: SourceLocation;
}

/** Per-document status, as `raptor status --json` prints it (snake_case is a public interface). */
export interface DocumentStatus {
  path: string;
  state: DocumentState;
  retry_count: number;
  error: string | null;
  token_count: TokenCountWithTotal;
  chunks: number;
  nodes: number;
  layers: number;
  started_at: string | null;
  completed_at: string | null;
  /** True when the file changed since it was indexed (or since it was discovered). */
  stale?: boolean;
}

/** Whole-task status, as `raptor status --json` prints it. */
export interface TaskStatus {
  task_id: string;
  status: TaskState;
  total_documents: number;
  completed_documents: number;
  failed_documents: number;
  pending_documents: number;
  running_documents: number;
  cancelled_documents: number;
  progress: number;
  token_count: TokenCountWithTotal;
  created_at: string | null;
  started_at: string | null;
  paused_at: string | null;
  resumed_at: string | null;
  completed_at: string | null;
  /** Why the task is paused or failed, when it is. */
  message: string | null;
  documents: DocumentStatus[];
}

/** A retrieval hit, as `raptor query --json` prints it. */
export interface QueryHit {
  id: string;
  doc: string;
  layer: number;
  score: number;
  text: string;
  location?: SourceLocation;
}

/** Progress events the runner emits; the CLI, the extension and the dashboard render them. */
export type EngineEvent =
  | { type: 'task/state'; state: TaskState; message: string | null }
  | { type: 'document/state'; path: string; state: DocumentState; error: string | null; retryCount: number }
  | {
      type: 'progress';
      total: number;
      completed: number;
      failed: number;
      running: number;
      pending: number;
      cancelled: number;
      tokens: TokenCountWithTotal;
      /** Documents completed per second over the recent window. */
      docsPerSecond: number;
      /** Seconds left at the recent rate; null when unknown. */
      etaSeconds: number | null;
      elapsedSeconds: number;
    }
  | { type: 'log'; level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; message: string };
