// The host side of one dashboard page, without vscode: validates what the page sends, acts through the
// controller, and streams state to the page (ready handshake → full snapshot → coalesced changes).
// DashboardPanel wires it to a real webview; the unit tests drive it with stubs.
import type { DocumentStatus, EngineEvent, TaskStatus } from '../../engine/types';
import {
  MAX_FAILED_IN_SNAPSHOT,
  MAX_PATH_LENGTH,
  dashboardEventSchema,
  describeInvalid,
  hostToPageMessageSchema,
  pageToHostMessageSchema,
  truncateForPage,
  type DashboardEvent,
  type DocumentSummary,
  type HostToPageMessage,
  type PageRequest,
  type SnapshotMessage,
  type TaskSummary,
} from '../../protocol/dashboard';
import { systemTimers, type Timers } from '../../protocol/pendingReplies';
import type { ProgressHistory } from './progressHistory';

/** What the dashboard needs from the extension: the controller minus anything vscode-specific. */
export interface DashboardActions {
  getStatus(): TaskStatus | undefined;
  onEvent(listener: (e: EngineEvent) => void): { dispose(): unknown };
  pause(): Promise<void>;
  resume(): Promise<void>;
  cancel(): Promise<void>;
  retryFailed(): Promise<void>;
  retryDocument(path: string): Promise<void>;
  openDocument(path: string): Promise<void>;
}

/** The part of vscode.LogOutputChannel the session writes to. */
export interface DashboardLog {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface DashboardSessionOptions {
  controller: DashboardActions;
  history: ProgressHistory;
  /** Delivers a message to the page (webview.postMessage). */
  post: (message: HostToPageMessage) => unknown;
  log: DashboardLog;
  /** Changes are coalesced and sent at most this often (default 250 ms: lively, yet cheap on a busy run). */
  throttleMs?: number;
  timers?: Timers;
}

export class DashboardSession {
  private ready = false;
  /** The last snapshot had no task (no index loaded yet, e.g. just after a reload): changes alone cannot fill it in. */
  private snapshotWithoutTask = false;
  private taskEvent: DashboardEvent | undefined;
  private progressEvent: DashboardEvent | undefined;
  /** Latest state per document since the last flush (a document that flips twice is sent once). */
  private documentEvents = new Map<string, DashboardEvent>();
  private flushTimer: unknown;
  /** Seq of the newest history point the page has, and the compaction count it was read at. */
  private sentSeq = 0;
  private sentCompactions = 0;
  private readonly subscription: { dispose(): unknown };
  private readonly timers: Timers;
  private readonly throttleMs: number;
  private disposed = false;
  /** The document the user asked to see; shown again after every hide/restore. */
  private focusPath: string | undefined;

  constructor(private readonly options: DashboardSessionOptions) {
    this.timers = options.timers ?? systemTimers;
    this.throttleMs = options.throttleMs ?? 250;
    this.subscription = options.controller.onEvent((e) => this.onEngineEvent(e));
  }

  /** Handles one message from the page. Never throws: malformed messages are logged and dropped. */
  async receive(raw: unknown): Promise<void> {
    const parsed = pageToHostMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.options.log.warn(describeInvalid(raw, parsed.error));
      return;
    }
    const message = parsed.data;
    if (message.type === 'webview/ready') {
      this.onReady();
      return;
    }
    await this.handleRequest(message);
  }

  /** The panel was hidden: the page is torn down and will say `webview/ready` again when shown. */
  pageHidden(): void {
    this.ready = false;
    this.clearPendingChanges();
  }

  /** Asks the page to show one document (from "Show in Dashboard" on a document). */
  focusDocument(path: string): void {
    this.focusPath = path;
    if (this.ready) this.post(this.buildFocus(path));
  }

  dispose(): void {
    this.disposed = true;
    this.subscription.dispose();
    this.clearPendingChanges();
  }

  /**
   * Nothing is replayed to a page that was not listening: changes before `webview/ready` are folded into the
   * snapshot (replaying old events after it would undo newer state), the focused document is remembered and sent
   * after it, and a reply finishing while no page listens is dropped (its page is gone, and the next page numbers
   * its requests afresh, so handing it the reply could settle the wrong request).
   */
  private onReady(): void {
    this.ready = true;
    this.clearPendingChanges();
    this.post(this.buildSnapshot());
    if (this.focusPath !== undefined) this.post(this.buildFocus(this.focusPath));
  }

  private async handleRequest(request: PageRequest): Promise<void> {
    try {
      switch (request.type) {
        case 'task/pause':
          await this.options.controller.pause();
          break;
        case 'task/resume':
          await this.options.controller.resume();
          break;
        case 'task/cancel':
          await this.options.controller.cancel();
          break;
        case 'task/retryFailed':
          await this.options.controller.retryFailed();
          break;
        case 'document/retry':
        case 'document/open':
          // The page names a path; only a document of the index is ever acted on.
          if (!this.isIndexedDocument(request.path)) {
            this.options.log.warn(`dashboard asked for ${request.type} on a path that is not in the index; ignored`);
            this.reply(request.id, 'That file is not a document of this index.');
            return;
          }
          if (request.type === 'document/retry') await this.options.controller.retryDocument(request.path);
          else await this.options.controller.openDocument(request.path);
          break;
      }
      // Send the state change the action caused together with its reply, not a throttle tick later.
      this.flush();
      this.reply(request.id);
    } catch (e) {
      const sentence = e instanceof Error && e.message ? e.message : 'The action failed.';
      this.options.log.error(`dashboard ${request.type} failed: ${sentence}`);
      this.reply(request.id, sentence);
    }
  }

  private isIndexedDocument(path: string): boolean {
    return this.options.controller.getStatus()?.documents.some((d) => d.path === path) ?? false;
  }

  private reply(id: number, error?: string): void {
    if (!this.ready) {
      this.options.log.debug(`dashboard reply ${id} dropped: the page that asked is gone`);
      return;
    }
    this.post(error === undefined ? { type: 'reply', id, ok: true } : { type: 'reply', id, ok: false, error: truncateForPage(error) });
  }

  private onEngineEvent(raw: EngineEvent): void {
    if (this.disposed || !this.ready || raw.type === 'log') return;
    const parsed = dashboardEventSchema.safeParse(forPage(raw));
    if (!parsed.success) {
      this.options.log.debug(describeInvalid(raw, parsed.error));
      return;
    }
    const event = parsed.data;
    if (event.type === 'task/state') this.taskEvent = event;
    else if (event.type === 'progress') this.progressEvent = event;
    else this.documentEvents.set(event.path, event);
    this.flushTimer ??= this.timers.setTimeout(() => this.flush(), this.throttleMs);
  }

  private flush(): void {
    if (this.flushTimer !== undefined) this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.ready || this.disposed) return;
    const history = this.options.history;
    if (history.compactions !== this.sentCompactions) {
      this.post({ type: 'history/reset', history: [...history.samples()] });
      this.markHistorySent();
    }
    // The page was given an empty snapshot and an index has appeared since: send it whole.
    if (this.snapshotWithoutTask && this.options.controller.getStatus()) {
      this.clearPendingChanges();
      this.post(this.buildSnapshot());
      return;
    }
    // Documents first, then counts, then the task state, so the page never shows a state its counts contradict.
    const events = [...this.documentEvents.values()];
    if (this.progressEvent) events.push(this.progressEvent);
    if (this.taskEvent) events.push(this.taskEvent);
    const samples = history.since(this.sentSeq);
    this.clearPendingChanges();
    if (events.length === 0 && samples.length === 0) return;
    this.post({ type: 'state/event', events, samples });
    this.markHistorySent();
  }

  private markHistorySent(): void {
    this.sentSeq = this.options.history.samples().at(-1)?.seq ?? 0;
    this.sentCompactions = this.options.history.compactions;
  }

  private clearPendingChanges(): void {
    if (this.flushTimer !== undefined) this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.taskEvent = undefined;
    this.progressEvent = undefined;
    this.documentEvents.clear();
  }

  private buildSnapshot(): SnapshotMessage {
    const status = this.options.controller.getStatus();
    const history = this.options.history;
    this.snapshotWithoutTask = !status;
    const snapshot: SnapshotMessage = {
      type: 'state/snapshot',
      task: status ? summarizeTask(status) : null,
      failed: status
        ? status.documents
            .filter((d) => d.state === 'failed')
            .slice(0, MAX_FAILED_IN_SNAPSHOT)
            .map((d) => ({ path: d.path, error: d.error === null ? null : truncateForPage(d.error), retryCount: d.retry_count }))
        : [],
      progress: history.latest(),
      history: [...history.samples()],
    };
    this.markHistorySent();
    return snapshot;
  }

  private buildFocus(path: string): HostToPageMessage {
    const doc = this.options.controller.getStatus()?.documents.find((d) => d.path === path);
    return { type: 'view/focusDocument', path: truncateForPage(path, MAX_PATH_LENGTH), document: doc ? summarizeDocument(doc) : null };
  }

  private post(message: HostToPageMessage): void {
    if (this.disposed) return;
    // A message the page would drop is a host bug: say so here, where it can be fixed.
    const checked = hostToPageMessageSchema.safeParse(message);
    if (!checked.success) {
      this.options.log.error(describeInvalid(message, checked.error));
      return;
    }
    try {
      void Promise.resolve(this.options.post(checked.data)).catch((e: unknown) => this.options.log.warn(`dashboard post failed: ${String(e)}`));
    } catch (e) {
      this.options.log.warn(`dashboard post failed: ${String(e)}`);
    }
  }
}

/** Shortens the free-text parts of an engine event so a long error cannot get the whole event dropped. */
function forPage(e: Exclude<EngineEvent, { type: 'log' }>): Exclude<EngineEvent, { type: 'log' }> {
  if (e.type === 'document/state' && e.error !== null) return { ...e, error: truncateForPage(e.error) };
  if (e.type === 'task/state' && e.message !== null) return { ...e, message: truncateForPage(e.message) };
  return e;
}

function summarizeTask(status: TaskStatus): TaskSummary {
  const { documents: _documents, ...task } = status;
  return {
    ...task,
    progress: Number.isFinite(task.progress) ? Math.min(1, Math.max(0, task.progress)) : 0,
    message: task.message === null ? null : truncateForPage(task.message),
  };
}

function summarizeDocument(d: DocumentStatus): DocumentSummary {
  return {
    path: d.path,
    state: d.state,
    error: d.error === null ? null : truncateForPage(d.error),
    retryCount: d.retry_count,
    tokens: d.token_count,
  };
}
