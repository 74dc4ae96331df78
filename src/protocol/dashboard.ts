// Every message between the dashboard host (extension) and the dashboard page, defined once and validated on
// arrival on both sides. Plain TypeScript + zod: no vscode and no DOM, so the host, the page and the unit tests
// all import this one file.
//
// Page → host messages come from a web page and are untrusted: they are strict (unknown fields rejected) and
// bounded. Host → page envelopes are strict too, but the engine data they carry (status, events) is parsed with
// plain objects that strip unknown fields, so an engine that grows a field does not blank the dashboard.
//
// zod/mini: the same validation with a tree-shakeable API; the page bundle carries ~25 KB of zod instead of ~94 KB.
import * as z from 'zod/mini';
import { DOCUMENT_STATES, TASK_STATES, type EngineEvent, type TaskStatus } from '../engine/types';

/** Longest path the page may send: far beyond any real relative path, small enough to log. */
export const MAX_PATH_LENGTH = 4096;
/** Errors are truncated to this many characters before they are sent to the page. */
export const MAX_ERROR_LENGTH = 2000;
/** The snapshot lists at most this many failed documents (the count is always exact). */
export const MAX_FAILED_IN_SNAPSHOT = 1000;
/** History is bounded on the host; the page accepts one point of slack. */
export const MAX_HISTORY_POINTS = 3600;

// ---------------------------------------------------------------------------------------------------------------
// Shared pieces

const count = z.int().check(z.nonnegative());
const nonNegative = z.number().check(z.nonnegative());
const text = (max: number) => z.string().check(z.maxLength(max));
const isoTime = z.nullable(text(64));
const requestId = z.int().check(z.nonnegative(), z.lte(Number.MAX_SAFE_INTEGER));
const reportedPath = z.string().check(z.minLength(1), z.maxLength(MAX_PATH_LENGTH));

/**
 * A document path as the index names it: relative to the indexed folder, forward slashes. The schema rejects
 * shapes that can never be an index path (absolute, drive letters, `..` segments, NUL); the host still only acts
 * on paths that are documents of the index, because a well-formed path is not a trusted one.
 */
export const documentPathSchema = z.string().check(
  z.minLength(1),
  z.maxLength(MAX_PATH_LENGTH),
  z.refine((p) => !p.includes('\0'), 'must not contain NUL'),
  z.refine((p) => !p.startsWith('/') && !p.startsWith('\\') && !/^[A-Za-z]:/.test(p), 'must be relative'),
  z.refine((p) => !p.split(/[\\/]/).includes('..'), 'must not leave the indexed folder'),
);

export const tokenCountSchema = z.object({
  prompt: count,
  completion: count,
  embedding: count,
  total: count,
});

export const taskStateSchema = z.enum(TASK_STATES);
export const documentStateSchema = z.enum(DOCUMENT_STATES);

/** TaskStatus without its (possibly huge) document list: what the dashboard header and charts need. */
export const taskSummarySchema = z.object({
  task_id: text(256),
  status: taskStateSchema,
  total_documents: count,
  completed_documents: count,
  failed_documents: count,
  pending_documents: count,
  running_documents: count,
  cancelled_documents: count,
  progress: z.number().check(z.gte(0), z.lte(1)),
  token_count: tokenCountSchema,
  created_at: isoTime,
  started_at: isoTime,
  paused_at: isoTime,
  resumed_at: isoTime,
  completed_at: isoTime,
  message: z.nullable(text(MAX_ERROR_LENGTH)),
});
export type TaskSummary = z.infer<typeof taskSummarySchema>;
// Compile-time check that the summary is still a faithful subset of the engine's TaskStatus.
const _taskSummaryFitsStatus = (t: Omit<TaskStatus, 'documents'>): TaskSummary => t;
void _taskSummaryFitsStatus;

/** One failed document, as the failed table shows it. */
export const failedDocumentSchema = z.object({
  path: reportedPath,
  error: z.nullable(text(MAX_ERROR_LENGTH)),
  retryCount: count,
});
export type FailedDocument = z.infer<typeof failedDocumentSchema>;

/** A document's state, for `view/focusDocument`. */
export const documentSummarySchema = z.object({
  path: reportedPath,
  state: documentStateSchema,
  error: z.nullable(text(MAX_ERROR_LENGTH)),
  retryCount: count,
  tokens: tokenCountSchema,
});
export type DocumentSummary = z.infer<typeof documentSummarySchema>;

export const taskStateEventSchema = z.object({
  type: z.literal('task/state'),
  state: taskStateSchema,
  message: z.nullable(text(MAX_ERROR_LENGTH)),
});
export const documentStateEventSchema = z.object({
  type: z.literal('document/state'),
  path: reportedPath,
  state: documentStateSchema,
  error: z.nullable(text(MAX_ERROR_LENGTH)),
  retryCount: count,
});
export const progressEventSchema = z.object({
  type: z.literal('progress'),
  total: count,
  completed: count,
  failed: count,
  running: count,
  pending: count,
  cancelled: count,
  tokens: tokenCountSchema,
  docsPerSecond: nonNegative,
  etaSeconds: z.nullable(nonNegative),
  elapsedSeconds: nonNegative,
});
export type ProgressEvent = z.infer<typeof progressEventSchema>;

/** The engine events the dashboard renders (log events stay in the output channel). */
export const dashboardEventSchema = z.discriminatedUnion('type', [
  taskStateEventSchema,
  documentStateEventSchema,
  progressEventSchema,
]);
export type DashboardEvent = z.infer<typeof dashboardEventSchema>;
// Compile-time check: every dashboard event is an engine event.
const _dashboardEventIsEngineEvent = (e: DashboardEvent): EngineEvent => e;
void _dashboardEventIsEngineEvent;

/** One point of the progress history. Values are cumulative, so dropping points while downsampling loses no totals. */
export const progressSampleSchema = z.object({
  /** Increases by one per recorded point; the newest point may be updated in place (same seq) until the next. */
  seq: count,
  /** Epoch milliseconds. */
  t: nonNegative,
  total: count,
  completed: count,
  failed: count,
  docsPerSecond: nonNegative,
  tokens: z.object({ prompt: count, completion: count, embedding: count }),
});
export type ProgressSample = z.infer<typeof progressSampleSchema>;

const historySchema = z.array(progressSampleSchema).check(z.maxLength(MAX_HISTORY_POINTS + 1));

// ---------------------------------------------------------------------------------------------------------------
// Page → host

export const pageToHostMessageSchema = z.discriminatedUnion('type', [
  /** The page has loaded and listens: the host answers with `state/snapshot`, then sends changes. */
  z.strictObject({ type: z.literal('webview/ready') }),
  z.strictObject({ type: z.literal('task/pause'), id: requestId }),
  z.strictObject({ type: z.literal('task/resume'), id: requestId }),
  z.strictObject({ type: z.literal('task/cancel'), id: requestId }),
  z.strictObject({ type: z.literal('task/retryFailed'), id: requestId }),
  z.strictObject({ type: z.literal('document/retry'), id: requestId, path: documentPathSchema }),
  z.strictObject({ type: z.literal('document/open'), id: requestId, path: documentPathSchema }),
]);
export type PageToHostMessage = z.infer<typeof pageToHostMessageSchema>;
/** Page → host messages that expect a `reply`. */
export type PageRequest = Extract<PageToHostMessage, { id: number }>;
/** A request as the page writes it, before the reply tracker gives it an id. */
export type PageRequestBody = PageRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

// ---------------------------------------------------------------------------------------------------------------
// Host → page

export const snapshotMessageSchema = z.strictObject({
  type: z.literal('state/snapshot'),
  /** Null when no index is open. */
  task: z.nullable(taskSummarySchema),
  failed: z.array(failedDocumentSchema).check(z.maxLength(MAX_FAILED_IN_SNAPSHOT)),
  /** The latest progress event, for ETA, throughput and elapsed time; null before the first one. */
  progress: z.nullable(progressEventSchema),
  history: historySchema,
});
export type SnapshotMessage = z.infer<typeof snapshotMessageSchema>;

export const hostToPageMessageSchema = z.discriminatedUnion('type', [
  snapshotMessageSchema,
  /** Changes since the last message, coalesced: the latest state per document, the latest progress. */
  z.strictObject({
    type: z.literal('state/event'),
    events: z.array(dashboardEventSchema).check(z.maxLength(10_000)),
    /** New history points, and the newest one again when it was updated in place (match by seq). */
    samples: historySchema,
  }),
  /** The host compacted its history: replace the page's copy. */
  z.strictObject({ type: z.literal('history/reset'), history: historySchema }),
  /** Show this document (e.g. the user chose "Show in Dashboard" on it). */
  z.strictObject({
    type: z.literal('view/focusDocument'),
    path: reportedPath,
    document: z.nullable(documentSummarySchema),
  }),
  z.strictObject({
    type: z.literal('reply'),
    id: requestId,
    ok: z.boolean(),
    /** One sentence for the user when `ok` is false. */
    error: z.optional(text(MAX_ERROR_LENGTH)),
  }),
]);
export type HostToPageMessage = z.infer<typeof hostToPageMessageSchema>;
export type ReplyMessage = Extract<HostToPageMessage, { type: 'reply' }>;

// ---------------------------------------------------------------------------------------------------------------
// Page state (vscode.setState), handed back to the host's serializer after a window reload: untrusted too.

export const pageStateSchema = z.object({ focusPath: z.optional(reportedPath) });
export type PageState = z.infer<typeof pageStateSchema>;

/** Shortens a string for the page (errors can be whole stack traces or provider bodies). */
export function truncateForPage(text: string, max = MAX_ERROR_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A short description of why a message was rejected, for the log (never the message itself: it may be huge). */
export function describeInvalid(raw: unknown, error: z.core.$ZodError): string {
  const type =
    typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string'
      ? truncateForPage((raw as { type: string }).type, 80)
      : typeof raw;
  const issue = error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  return `dropped malformed dashboard message (${type})${where}: ${issue?.message ?? 'invalid'}`;
}
