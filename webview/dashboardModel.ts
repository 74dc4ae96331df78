// The page's copy of the dashboard state, updated only from validated host messages. No DOM: unit-tested in Node.
import type {
  DashboardEvent,
  DocumentSummary,
  FailedDocument,
  HostToPageMessage,
  ProgressEvent,
  ProgressSample,
  TaskSummary,
} from '../src/protocol/dashboard';
import type { TaskState } from '../src/engine/types';

export interface DashboardModel {
  /** Null until the first snapshot, or when no index is open. */
  task: TaskSummary | null;
  snapshotReceived: boolean;
  failed: Map<string, FailedDocument>;
  /** True when the snapshot listed only the first failed documents (the host caps the list; counts stay exact). */
  failedTruncated: boolean;
  progress: ProgressEvent | null;
  /** Page clock (ms) when `progress` arrived, to keep elapsed time and ETA ticking between events. */
  progressReceivedAt: number;
  history: ProgressSample[];
  focus: { path: string; document: DocumentSummary | null } | null;
}

export function emptyModel(): DashboardModel {
  return {
    task: null,
    snapshotReceived: false,
    failed: new Map(),
    failedTruncated: false,
    progress: null,
    progressReceivedAt: 0,
    history: [],
    focus: null,
  };
}

/** Applies one host message (already validated). `reply` is handled by the reply tracker, not here. */
export function applyHostMessage(model: DashboardModel, message: HostToPageMessage, nowMs: number): void {
  switch (message.type) {
    case 'state/snapshot':
      model.snapshotReceived = true;
      model.task = message.task;
      model.failed = new Map(message.failed.map((f) => [f.path, f]));
      model.failedTruncated = (message.task?.failed_documents ?? 0) > message.failed.length;
      model.progress = message.progress;
      model.progressReceivedAt = nowMs;
      model.history = [...message.history];
      break;
    case 'state/event':
      for (const e of message.events) applyEvent(model, e, nowMs);
      upsertSamples(model.history, message.samples);
      break;
    case 'history/reset':
      model.history = [...message.history];
      break;
    case 'view/focusDocument':
      model.focus = { path: message.path, document: message.document };
      break;
    case 'reply':
      break;
  }
}

function applyEvent(model: DashboardModel, e: DashboardEvent, nowMs: number): void {
  switch (e.type) {
    case 'task/state':
      if (model.task) {
        model.task.status = e.state;
        model.task.message = e.message;
      }
      break;
    case 'document/state':
      if (e.state === 'failed') model.failed.set(e.path, { path: e.path, error: e.error, retryCount: e.retryCount });
      else model.failed.delete(e.path);
      if (model.focus?.path === e.path && model.focus.document) {
        model.focus.document = { ...model.focus.document, state: e.state, error: e.error, retryCount: e.retryCount };
      }
      break;
    case 'progress':
      model.progress = e;
      model.progressReceivedAt = nowMs;
      if (model.task) {
        model.task.total_documents = e.total;
        model.task.completed_documents = e.completed;
        model.task.failed_documents = e.failed;
        model.task.running_documents = e.running;
        model.task.pending_documents = e.pending;
        model.task.cancelled_documents = e.cancelled;
        model.task.token_count = e.tokens;
        model.task.progress = e.total > 0 ? (e.completed + e.failed + e.cancelled) / e.total : 0;
      }
      break;
  }
}

/** New points are appended; a point with the seq of the newest one replaces it (the host updated it in place). */
export function upsertSamples(history: ProgressSample[], samples: readonly ProgressSample[]): void {
  for (const s of samples) {
    const last = history.at(-1);
    if (last && last.seq === s.seq) history[history.length - 1] = s;
    else if (!last || s.seq > last.seq) history.push(s);
  }
}

/** How many documents have failed: the listed ones, or the task's count when the list is only the first part. */
export function failedCount(model: DashboardModel): number {
  return model.failedTruncated ? Math.max(model.task?.failed_documents ?? 0, model.failed.size) : model.failed.size;
}

export interface EnabledActions {
  pause: boolean;
  resume: boolean;
  cancel: boolean;
  retryFailed: boolean;
}

/** Which buttons make sense in this state (the host and engine still decide; this only avoids dead clicks). */
export function enabledActions(task: TaskSummary | null): EnabledActions {
  if (!task) return { pause: false, resume: false, cancel: false, retryFailed: false };
  const state: TaskState = task.status;
  const unfinished = task.pending_documents + task.running_documents > 0;
  return {
    pause: state === 'running',
    // Resume = run again: useful when paused, or whenever documents wait and nothing runs.
    resume: state === 'paused' || (state !== 'running' && unfinished),
    cancel: state === 'running' || state === 'paused' || (state === 'pending' && unfinished),
    // The run loop picks retried documents up, so retrying during a run is fine.
    retryFailed: task.failed_documents + task.cancelled_documents > 0,
  };
}

export interface Timing {
  elapsedSeconds: number | null;
  etaSeconds: number | null;
  docsPerSecond: number | null;
}

/** Elapsed time and ETA as of `nowMs`, advanced from the last progress event while the task runs. */
export function currentTiming(model: DashboardModel, nowMs: number): Timing {
  const p = model.progress;
  if (!p) return { elapsedSeconds: null, etaSeconds: null, docsPerSecond: null };
  const running = model.task?.status === 'running';
  const since = running ? Math.max(0, (nowMs - model.progressReceivedAt) / 1000) : 0;
  return {
    elapsedSeconds: p.elapsedSeconds + since,
    etaSeconds: running && p.etaSeconds !== null ? Math.max(0, p.etaSeconds - since) : null,
    docsPerSecond: p.docsPerSecond,
  };
}

/** "1 h 02 min", "3 min 05 s", "42 s"; an em dash when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
