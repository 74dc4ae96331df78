// Activation: wires the per-folder indexes (each in its own engine worker) to the Documents tree, the status bar,
// the dashboard, the commands and the file watcher; then offers to resume a task a reload or crash interrupted.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerDashboardSerializer } from './dashboard/dashboardPanel';
import { API_KEY_SECRET, registerCommands, trustProblem } from './commands';
import { DocumentsTreeProvider } from './documentsTreeProvider';
import { DocumentRaptorTreeProvider } from './documentRaptorTree';
import { EventLoopLagMonitor, type EventLoopLag } from './eventLoopLag';
import { IndexFileWatcher } from './fileWatcher';
import { indexDbPath, type FolderIndex } from './folderIndex';
import { SettingsStore } from './settings';
import { IndexStatusBar } from './statusBar';
import type { TaskStatus } from '../engine/types';
import { WorkspaceIndexes } from './workspaceIndexes';
import { summarizeInHost } from './hostSummarizer';

/** What activate() returns: used by the e2e tests (and by other extensions, read-only). */
export interface RaptorExtensionApi {
  status(): TaskStatus | undefined;
  /** Event-loop delay of the extension host over the last (or current) indexing run. */
  eventLoopLag(): EventLoopLag | undefined;
  /** Folders whose index is running in this window. */
  running(): string[];
  /** The RAPTOR tree of one document (path as status() shows it): chunks at layer 0, summaries above. */
  documentTree(shownPath: string): Promise<Array<{ id: string; layer: number; text: string; tokens: number; children: string[] }>>;
  /** Where each folder's index lives under the current settings (raptor.indexLocation). */
  indexFiles(): Array<{ folder: string; db: string }>;
}

/** Kept for deactivate(), which must close the indexes before the host goes away. */
let active: WorkspaceIndexes | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<RaptorExtensionApi> {
  const log = vscode.window.createOutputChannel('RAPTOR', { log: true });
  context.subscriptions.push(log);
  const settings = new SettingsStore((message) => {
    log.error(message);
    void vscode.window.showErrorMessage(`RAPTOR: ${message}`);
  });

  const workerEnv = async (s: ReturnType<SettingsStore['get']>) => {
    const env: Record<string, string | undefined> = { ...process.env };
    const key = await context.secrets.get(API_KEY_SECRET);
    if (key) env[s.index.provider.apiKeyEnv] = key;
    return env;
  };

  const indexes = new WorkspaceIndexes({
    workerFile: path.join(context.extensionPath, 'dist', 'engineWorker.js'),
    settingsFor: (folder) => settings.get(folder),
    dbPath: (folder, s) => indexDbPath(folder, s, context.storageUri),
    runRefusal: trustProblem,
    env: workerEnv,
    summarize: (params, signal, s) => summarizeInHost(params, signal, s),
    log,
    openDocument: async (absPath) => {
      await vscode.window.showTextDocument(vscode.Uri.file(absPath), { preview: true });
    },
  });
  context.subscriptions.push(indexes);
  active = indexes;

  const tree = new DocumentsTreeProvider(() => indexes.folderDocuments());
  const treeView = vscode.window.createTreeView('raptor.documents', { treeDataProvider: tree, showCollapseAll: true });
  const statusBar = new IndexStatusBar(() => effectiveStatus(indexes));
  context.subscriptions.push(tree, treeView, statusBar);

  const documentTree = new DocumentRaptorTreeProvider(log);
  const documentTreeView = vscode.window.createTreeView('raptor.documentTree', { treeDataProvider: documentTree });
  context.subscriptions.push(
    documentTree,
    documentTreeView,
    treeView.onDidChangeSelection((e) => {
      const node = e.selection[0];
      if (node?.kind !== 'document') return;
      const index = indexes.all().find((i) => i.root === node.root);
      documentTreeView.description = node.doc.path;
      void documentTree.show(index && { index, relPath: node.doc.path });
    }),
  );

  const lag = new EventLoopLagMonitor();
  const updateContext = () => {
    const merged = indexes.getStatus();
    const anyRunning = indexes.all().some((i) => i.isRunning);
    // 'running' on disk while nothing runs in this window: a reload or crash interrupted it (Resume applies).
    const taskState = merged?.status === 'running' && !anyRunning ? 'interrupted' : (merged?.status ?? 'none');
    void vscode.commands.executeCommand('setContext', 'raptor.taskState', taskState);
    void vscode.commands.executeCommand('setContext', 'raptor.hasIndex', !!merged && merged.total_documents > 0);
    void vscode.commands.executeCommand('setContext', 'raptor.hasFailed', !!merged && merged.failed_documents > 0);
    if (anyRunning && !lag.running) lag.start();
    if (!anyRunning && lag.running) {
      const figures = lag.stop();
      if (figures) {
        log.info(
          `Extension-host event-loop delay over the run (${figures.seconds}s): p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, max ${figures.maxMs} ms.`,
        );
      }
    }
    const title = merged && merged.total_documents > 0 ? `${merged.completed_documents}/${merged.total_documents}` : undefined;
    treeView.description = title;
    treeView.message =
      merged && (taskState === 'paused' || taskState === 'interrupted')
        ? `${taskState === 'paused' ? 'Paused' : 'Interrupted'} with ${merged.completed_documents}/${merged.total_documents} documents done${
            merged.message ? ` (${merged.message})` : ''
          }. Resume continues where it stopped.`
        : undefined;
  };
  context.subscriptions.push(
    indexes.onDidChange(() => {
      tree.refresh();
      statusBar.refresh();
      updateContext();
    }),
  );
  updateContext();

  const onApiKeyChanged = () => {
    for (const i of indexes.all()) i.invalidate();
  };
  context.subscriptions.push(
    ...registerCommands({ context, indexes, log, settingsFor: (f) => settings.get(f), onApiKeyChanged }),
    registerDashboardSerializer(context, indexes, log),
    new IndexFileWatcher(indexes, log),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('raptor')) return;
      for (const index of indexes.all()) {
        if (!e.affectsConfiguration('raptor', index.folder)) continue;
        settings.get(index.folder); // validates now, so a bad value is reported as soon as it is typed
        index.invalidate();
      }
      tree.refresh();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      const added = indexes.syncFolders(vscode.workspace.workspaceFolders ?? []);
      void loadAndOfferResume(added);
    }),
    context.secrets.onDidChange((e) => {
      if (e.key === API_KEY_SECRET) onApiKeyChanged();
    }),
  );

  const loadAndOfferResume = async (added: FolderIndex[]) => {
    for (const index of added) {
      let status: TaskStatus | undefined;
      try {
        status = await index.load();
      } catch (e) {
        log.error(`${index.folder.name}: ${(e as Error).message}`);
        void vscode.window.showErrorMessage(`RAPTOR: ${(e as Error).message}`);
        continue;
      }
      if (!status || !['running', 'paused'].includes(status.status)) continue;
      const s = settings.get(index.folder);
      const what = `${status.completed_documents}/${status.total_documents} documents done`;
      if (s.autoResume && !index.refusal()) {
        log.info(`${index.folder.name}: resuming the interrupted task (raptor.autoResume).`);
        void indexes.runInBackground(index);
        continue;
      }
      const verb = status.status === 'paused' ? 'is paused' : 'was interrupted';
      void vscode.window
        .showInformationMessage(`RAPTOR: indexing of ${index.folder.name} ${verb} (${what}). Resume?`, 'Resume', 'Later', 'Cancel')
        .then(async (pick) => {
          if (pick === 'Resume') {
            const problem = index.refusal();
            if (problem) void vscode.window.showWarningMessage(`RAPTOR: ${problem}`);
            else void indexes.runInBackground(index);
          } else if (pick === 'Cancel') {
            await index.cancel().catch((e: Error) => void vscode.window.showErrorMessage(`RAPTOR: ${e.message}`));
          }
        });
    }
  };

  const initial = indexes.syncFolders(vscode.workspace.workspaceFolders ?? []);
  void loadAndOfferResume(initial);
  log.info(`RAPTOR activated for ${initial.length} workspace folder(s); trusted: ${vscode.workspace.isTrusted}.`);

  return {
    status: () => indexes.getStatus(),
    eventLoopLag: () => lag.snapshot(),
    running: () => indexes.all().filter((i) => i.isRunning).map((i) => i.folder.name),
    documentTree: async (shownPath) => {
      const target = indexes.resolveShownPath(shownPath);
      return target ? target.index.documentTree(target.relPath) : [];
    },
    indexFiles: () => indexes.all().map((i) => ({ folder: i.folder.name, db: i.dbPath() })),
  };
}

/** The merged status, shown as paused when the disk says running but nothing runs here (interrupted). */
function effectiveStatus(indexes: WorkspaceIndexes): TaskStatus | undefined {
  const merged = indexes.getStatus();
  if (merged?.status === 'running' && !indexes.all().some((i) => i.isRunning)) return { ...merged, status: 'paused' };
  return merged;
}

/** Close every index (a running task is paused, its snapshot written, its lock released) before the host exits. */
export async function deactivate(): Promise<void> {
  const closing = active?.all().map((i) => i.shutdown()) ?? [];
  active = undefined;
  await Promise.allSettled(closing);
}
