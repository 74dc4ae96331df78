// Every message between the dashboard host (extension) and the dashboard page, defined once and validated on
// arrival on both sides. Plain TypeScript + zod: no vscode and no DOM, so the host, the page and the unit tests
// all import this one file.
//
// Page → host messages come from a web page and are untrusted: they are strict (unknown fields rejected) and
// bounded. Host → page envelopes are strict too, but the engine data they carry (status, events) is parsed with
// plain objects that strip unknown fields, so an engine that grows a field does not blank the dashboard.
import { z } from 'zod';
import { DOCUMENT_STATES, TASK_STATES, type EngineEvent, type TaskStatus } from '../engine/types';

/** Longest path the page may send: far beyond any real relative path, small enough to log. */
export const MAX_PATH_LENGTH = 4096;
/** Errors are truncated to this many characters before they are sent to the page. */
export const MAX_ERROR_LENGTH = 2000;
/** The snapshot lists at most this many failed documents (the count is always exact). */
export const MAX_FAILED_IN_SNAPSHOT = 1000;

// ---------------------------------------------------------------------------------------------------------------
// Shared pieces

const count = z.number().int().nonnegative();
const isoTime = z.string().max(64).nullable();
const requestId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * A document path as the index names it: relative to the indexed folder, forward slashes. The schema rejects
 * shapes that can never be an index path (absolute, drive letters, `..` segments, NUL); the host still only acts
 * on paths that are documents of the index, because a well-formed path is not a trusted one.
 */
export const documentPathSchema = z
  .string()
  .min(1)
  .max(MAX_PATH_LENGTH)
  .refine((p) => !p.includes('\0'), 'must not contain NUL')
  .refine((p) => !p.startsWith('/') && !p.startsWith('\\') && !/^[A-Za-z]:/.test(p), 'must be relative')
  .refine((p) => !p.split(/[\\/]/).includes('..'), 'must not leave the indexed folder');

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
  task_id: z.string().max(256),
  status: taskStateSchema,
  total_documents: count,
  completed_documents: count,
  failed_documents: count,
  pending_documents: count,
  running_documents: count,
  cancelled_documents: count,
  progress: z.number().min(0).max(1),
  token_count: tokenCountSchema,
  created_at: isoTime,
  started_at: isoTime,
  paused_at: isoTime,
  resumed_at: isoTime,
  completed_at: isoTime,
  message: z.string().max(MAX_ERROR_LENGTH).nullable(),
});
export type TaskSummary = z.infer<typeof taskSummarySchema>;
// Compile-time check that the summary is still a faithful subset of the engine's TaskStatus.
const _taskSummaryFitsStatus: TaskSummary = {} as Omit<TaskStatus, 'documents'>;
void _taskSummaryFitsStatus;

/** One failed document, as the failed table shows it. */
export const failedDocumentSchema = z.object({
  path: z.string().min(1).max(MAX_PATH_LENGTH),
  error: z.string().max(MAX_ERROR_LENGTH).nullable(),
  retryCount: count,
});
export type FailedDocument = z.infer<typeof failedDocumentSchema>;

/** A document's state, for `view/focusDocument`. */
export const documentSummarySchema = z.object({
  path: z.string().min(1).max(MAX_PATH_LENGTH),
  state: documentStateSchema,
  error: z.string().max(MAX_ERROR_LENGTH).nullable(),
  retryCount: count,
  tokens: tokenCountSchema,
});
export type DocumentSummary = z.infer<typeof documentSummarySchema>;

export const taskStateEventSchema = z.object({
  type: z.literal('task/state'),
  state: taskStateSchema,
  message: z.string().max(MAX_ERROR_LENGTH).nullable(),
});
export const documentStateEventSchema = z.object({
  type: z.literal('document/state'),
  path: z.string().min(1).max(MAX_PATH_LENGTH),
  state: documentStateSchema,
  error: z.string().max(MAX_ERROR_LENGTH).nullable(),
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
  docsPerSecond: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().nullable(),
  elapsedSeconds: z.number().nonnegative(),
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
  t: z.number().nonnegative(),
  total: count,
  completed: count,
  failed: count,
  docsPerSecond: z.number().nonnegative(),
  tokens: z.object({ prompt: count, completion: count, embedding: count }),
});
export type ProgressSample = z.infer<typeof progressSampleSchema>;

/** History is bounded on the host; a little slack here so a page never rejects what the host keeps. */
export const MAX_HISTORY_POINTS = 3600;
const historySchema = z.array(progressSampleSchema).max(MAX_HISTORY_POINTS + 1);

// ---------------------------------------------------------------------------------------------------------------
// Page → host

const pageMessages = {
  /** The page has loaded and listens: the host answers with `state/snapshot`, then sends changes. */
  ready: z.strictObject({ type: z.literal('webview/ready') }),
  pause: z.strictObject({ type: z.literal('task/pause'), id: requestId }),
  resume: z.strictObject({ type: z.literal('task/resume'), id: requestId }),
  cancel: z.strictObject({ type: z.literal('task/cancel'), id: requestId }),
  retryFailed: z.strictObject({ type: z.literal('task/retryFailed'), id: requestId }),
  retryDocument: z.strictObject({ type: z.literal('document/retry'), id: requestId, path: documentPathSchema }),
  openDocument: z.strictObject({ type: z.literal('document/open'), id: requestId, path: documentPathSchema }),
};

export const pageToHostMessageSchema = z.discriminatedUnion('type', [
  pageMessages.ready,
  pageMessages.pause,
  pageMessages.resume,
  pageMessages.cancel,
  pageMessages.retryFailed,
  pageMessages.retryDocument,
  pageMessages.openDocument,
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
  task: taskSummarySchema.nullable(),
  failed: z.array(failedDocumentSchema).max(MAX_FAILED_IN_SNAPSHOT),
  /** The latest progress event, for ETA, throughput and elapsed time; null before the first one. */
  progress: progressEventSchema.nullable(),
  history: historySchema,
});
export type SnapshotMessage = z.infer<typeof snapshotMessageSchema>;

export const hostToPageMessageSchema = z.discriminatedUnion('type', [
  snapshotMessageSchema,
  /** Changes since the last message, coalesced: the latest state per document, the latest progress. */
  z.strictObject({
    type: z.literal('state/event'),
    events: z.array(dashboardEventSchema).max(10_000),
    /** New history points, and the newest one again when it was updated in place (match by seq). */
    samples: historySchema,
  }),
  /** The host compacted its history: replace the page's copy. */
  z.strictObject({ type: z.literal('history/reset'), history: historySchema }),
  /** Show this document (e.g. the user chose "Show in Dashboard" on it). */
  z.strictObject({
    type: z.literal('view/focusDocument'),
    path: z.string().min(1).max(MAX_PATH_LENGTH),
    document: documentSummarySchema.nullable(),
  }),
  z.strictObject({
    type: z.literal('reply'),
    id: requestId,
    ok: z.boolean(),
    /** One sentence for the user when `ok` is false. */
    error: z.string().max(MAX_ERROR_LENGTH).optional(),
  }),
]);
export type HostToPageMessage = z.infer<typeof hostToPageMessageSchema>;
export type ReplyMessage = Extract<HostToPageMessage, { type: 'reply' }>;

/** Shortens a string for the page (errors can be whole stack traces or provider bodies). */
export function truncateForPage(text: string, max = MAX_ERROR_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A short description of why a message was rejected, for the log (never the message itself: it may be huge). */
export function describeInvalid(raw: unknown, error: z.ZodError): string {
  const type =
    typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string'
      ? truncateForPage((raw as { type: string }).type, 80)
      : typeof raw;
  const issue = error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  return `dropped malformed dashboard message (${type})${where}: ${issue?.message ?? 'invalid'}`;
}
