// All workspace folders' indexes as one: the tree, the status bar and the dashboard read from here.
// Multi-root: one index per folder; paths shown together are `folder/path` when there is more than one folder.
import * as vscode from 'vscode';
import type { DashboardController } from './dashboard/dashboardPanel';
import type { EngineEvent, TaskStatus } from '../engine/types';
import { FolderIndex, type FolderIndexDeps } from './folderIndex';
import { mergeStatuses } from './taskStatusView';
import type { FolderDocuments } from './documentsTreeModel';

export class WorkspaceIndexes implements DashboardController, vscode.Disposable {
  private readonly folders = new Map<string, FolderIndex>();
  private readonly subscriptions = new Map<string, vscode.Disposable[]>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly events = new vscode.EventEmitter<EngineEvent>();
  readonly onDidChange = this.changed.event;
  /** The merged task state last announced; a change not caused by an engine event (an index loaded, a folder
   *  added or removed) is announced as a task/state event, so event-driven views (the dashboard) stay in step. */
  private announcedState: TaskStatus['status'] | undefined;

  constructor(
    private readonly deps: Omit<FolderIndexDeps, 'dbPath' | 'settings'> & {
      dbPath(folder: vscode.WorkspaceFolder, settings: ReturnType<FolderIndexDeps['settings']>): string;
      settingsFor(folder: vscode.WorkspaceFolder): ReturnType<FolderIndexDeps['settings']>;
      openDocument(absPath: string): Promise<void>;
    },
  ) {}

  /** Match the workspace folders: new folders get an index, removed ones are closed. */
  syncFolders(folders: readonly vscode.WorkspaceFolder[]): FolderIndex[] {
    const wanted = new Set(folders.map((f) => f.uri.toString()));
    for (const [key, index] of this.folders) {
      if (!wanted.has(key)) {
        index.dispose();
        for (const d of this.subscriptions.get(key) ?? []) d.dispose();
        this.folders.delete(key);
        this.subscriptions.delete(key);
      }
    }
    const added: FolderIndex[] = [];
    for (const folder of folders) {
      const key = folder.uri.toString();
      if (this.folders.has(key)) continue;
      const index = new FolderIndex(folder, {
        ...this.deps,
        settings: () => this.deps.settingsFor(folder),
        dbPath: (s) => this.deps.dbPath(folder, s),
      });
      this.folders.set(key, index);
      this.subscriptions.set(key, [
        index.onDidChange(() => {
          this.changed.fire();
          this.announceTaskState();
        }),
        index.onEvent((e) => {
          if (e.type === 'task/state') this.announcedState = undefined; // re-derive from the merged status next
          this.events.fire(e);
        }),
      ]);
      added.push(index);
    }
    if (added.length || this.folders.size !== folders.length) this.changed.fire();
    return added;
  }

  private announceTaskState(): void {
    const merged = this.getStatus();
    if (!merged || merged.status === this.announcedState) return;
    this.announcedState = merged.status;
    this.events.fire({ type: 'task/state', state: merged.status, message: merged.message });
  }

  all(): FolderIndex[] {
    return [...this.folders.values()];
  }

  forFolder(folder: vscode.WorkspaceFolder): FolderIndex | undefined {
    return this.folders.get(folder.uri.toString());
  }

  /** The folder index holding a file (absolute path), and the path relative to its root with forward slashes. */
  locate(absPath: string): { index: FolderIndex; relPath: string } | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(absPath));
    const index = folder && this.forFolder(folder);
    if (!index) return undefined;
    const rel = absPath.slice(index.root.length).replace(/^[\\/]+/, '').split('\\').join('/');
    return { index, relPath: rel };
  }

  /** A path as the merged status shows it (`folder/path` when multi-root) → its index and relative path. */
  resolveShownPath(shown: string): { index: FolderIndex; relPath: string } | undefined {
    const all = this.all();
    if (all.length === 1) return { index: all[0]!, relPath: shown };
    for (const index of all) {
      const prefix = `${index.folder.name}/`;
      if (shown.startsWith(prefix)) return { index, relPath: shown.slice(prefix.length) };
    }
    return undefined;
  }

  folderDocuments(): FolderDocuments[] {
    return this.all()
      .filter((i) => i.status)
      .map((i) => ({ folderName: i.folder.name, root: i.root, status: i.status! }));
  }

  // ------------------------------------------------------------ DashboardController

  getStatus(): TaskStatus | undefined {
    return mergeStatuses(this.all().filter((i) => i.status).map((i) => ({ folderName: i.folder.name, status: i.status! })));
  }

  onEvent(listener: (e: EngineEvent) => void): vscode.Disposable {
    return this.events.event(listener);
  }

  async pause(): Promise<void> {
    await Promise.all(this.all().filter((i) => i.isRunning).map((i) => i.pause()));
  }

  /** Resume = run again, for every folder whose task is not finished. */
  async resume(): Promise<void> {
    const toRun = this.all().filter((i) => i.status && ['paused', 'running', 'pending'].includes(i.status.status));
    for (const index of toRun) this.runInBackground(index);
  }

  async cancel(): Promise<void> {
    await Promise.all(
      this.all()
        .filter((i) => i.isRunning || (i.status && ['paused', 'running', 'pending'].includes(i.status.status)))
        .map((i) => i.cancel()),
    );
  }

  async retryFailed(): Promise<void> {
    for (const index of this.all()) {
      if (!index.status || index.status.failed_documents + index.status.cancelled_documents === 0) continue;
      const n = await index.retryFailed();
      if (n > 0) this.runInBackground(index);
    }
  }

  async retryDocument(shownPath: string): Promise<void> {
    const target = this.resolveShownPath(shownPath);
    if (!target) throw new Error(`${shownPath} is not in any workspace folder.`);
    if (!(await target.index.retryDocument(target.relPath))) throw new Error(`${shownPath} cannot be retried now (it is running or already completed).`);
    this.runInBackground(target.index);
  }

  async openDocument(shownPath: string): Promise<void> {
    const target = this.resolveShownPath(shownPath);
    if (!target) throw new Error(`${shownPath} is not in any workspace folder.`);
    await this.deps.openDocument(`${target.index.root}/${target.relPath}`);
  }

  /** Start (or join) a run and report how it ended; never throws into the caller. */
  runInBackground(index: FolderIndex): Promise<void> {
    return index.run().then(
      (outcome) => {
        const log = this.deps.log;
        log.info(`${index.folder.name}: run ended ${outcome.state}: ${outcome.completed} completed, ${outcome.failed} failed.`);
        if (outcome.state === 'completed' && outcome.failed > 0) {
          void vscode.window
            .showWarningMessage(`RAPTOR: ${outcome.failed} document(s) in ${index.folder.name} failed to index.`, 'Show Failed', 'Retry Failed')
            .then((pick) => {
              if (pick === 'Retry Failed') void vscode.commands.executeCommand('raptor.retryFailed');
              if (pick === 'Show Failed') void vscode.commands.executeCommand('raptor.documents.focus');
            });
        } else if (outcome.state === 'paused' && outcome.message) {
          void vscode.window.showWarningMessage(`RAPTOR paused: ${outcome.message}`);
        }
      },
      (e: Error) => {
        this.deps.log.error(`${index.folder.name}: ${e.message}`);
        void vscode.window.showErrorMessage(`RAPTOR: ${e.message}`);
      },
    );
  }

  dispose(): void {
    for (const index of this.all()) index.dispose();
    for (const subs of this.subscriptions.values()) for (const d of subs) d.dispose();
    this.folders.clear();
    this.changed.dispose();
    this.events.dispose();
  }
}
