// Every `RAPTOR:` command. Each gives feedback: a status-bar message for quick actions, a notification when
// something needs the user, an error sentence (never a stack) when it cannot be done.
import * as vscode from 'vscode';
import { DashboardPanel } from './dashboard/dashboardPanel';
import { decideCostConfirmation, usesPaidProvider } from './costConfirmation';
import type { DocumentsTreeNode } from './documentsTreeModel';
import type { FolderIndex } from './folderIndex';
import { searchIndex } from './searchIndex';
import { usesRemoteProvider, type ExtensionSettings } from './settings';
import { formatTokens } from './taskStatusView';
import type { WorkspaceIndexes } from './workspaceIndexes';

export const API_KEY_SECRET = 'raptor.apiKey';

export interface CommandDeps {
  context: vscode.ExtensionContext;
  indexes: WorkspaceIndexes;
  log: vscode.LogOutputChannel;
  settingsFor(folder: vscode.WorkspaceFolder): ExtensionSettings;
  /** The key changed: workers restart with it in their env. */
  onApiKeyChanged(): void;
}

function flash(message: string): void {
  vscode.window.setStatusBarMessage(`RAPTOR: ${message}`, 4000);
}

/** In Restricted Mode nothing is sent to a remote provider. */
export function trustProblem(settings: ExtensionSettings): string | undefined {
  if (vscode.workspace.isTrusted || !usesRemoteProvider(settings.index)) return undefined;
  return (
    `This workspace is in Restricted Mode, so RAPTOR will not send its documents to ${settings.index.summarizer !== 'extractive' ? settings.index.summarizer : settings.index.embedder}. ` +
    'Trust the workspace, or use raptor.summarizer "extractive" and raptor.embedder "local".'
  );
}

/** A document argument from the tree (or a path from the dashboard / a test), resolved to its index. */
function documentTarget(deps: CommandDeps, arg: unknown): { index: FolderIndex; relPath: string } | undefined {
  if (arg && typeof arg === 'object' && (arg as DocumentsTreeNode).kind === 'document') {
    const node = arg as Extract<DocumentsTreeNode, { kind: 'document' }>;
    const index = deps.indexes.all().find((i) => i.root === node.root);
    return index && { index, relPath: node.doc.path };
  }
  if (arg instanceof vscode.Uri) return deps.indexes.locate(arg.fsPath);
  if (typeof arg === 'string') return deps.indexes.resolveShownPath(arg);
  const active = vscode.window.activeTextEditor?.document.uri;
  return active?.scheme === 'file' ? deps.indexes.locate(active.fsPath) : undefined;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { context, indexes, log } = deps;
  const guarded =
    (name: string, fn: (...args: unknown[]) => Promise<unknown> | unknown) =>
    async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        log.error(`${name}: ${message}`);
        void vscode.window.showErrorMessage(`RAPTOR: ${message}`);
        return undefined;
      }
    };
  const register = (id: string, fn: (...args: unknown[]) => Promise<unknown> | unknown) =>
    vscode.commands.registerCommand(id, guarded(id, fn));

  const indexWorkspace = async () => {
    const all = indexes.all();
    if (all.length === 0) {
      void vscode.window.showWarningMessage('RAPTOR: open a folder first; there is nothing to index.');
      return;
    }
    if (all.every((i) => i.isRunning)) {
      void vscode.window.showInformationMessage('RAPTOR is already indexing this workspace.');
      return;
    }
    let started = 0;
    for (const index of all) {
      const s = deps.settingsFor(index.folder);
      const problem = index.refusal();
      if (problem) {
        void vscode.window.showWarningMessage(`RAPTOR: ${problem}`);
        continue;
      }
      if (!index.isRunning && !(await confirmCost(index, s, all.length > 1))) {
        log.info(`${index.folder.name}: Index Workspace not started (the cost was not confirmed).`);
        continue;
      }
      log.info(`${index.folder.name}: Index Workspace`);
      void indexes.runInBackground(index);
      started++;
    }
    if (started > 0) flash('indexing started');
  };

  /** Folders whose cost question is open: a second Index Workspace meanwhile does not ask again. */
  const confirming = new Set<FolderIndex>();

  /**
   * Before a run that pays a provider: estimate its calls and tokens in the worker (nothing sent, nothing written)
   * and, above raptor.confirmAboveTokens, ask. True when the run may start.
   */
  const confirmCost = async (index: FolderIndex, s: ExtensionSettings, multiRoot: boolean): Promise<boolean> => {
    if (!usesPaidProvider(s.index)) return true;
    if (confirming.has(index)) return false;
    confirming.add(index);
    try {
      const name = index.folder.name;
      let estimate;
      try {
        estimate = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: `RAPTOR: estimating the cost of indexing ${name}` },
          () => index.estimate(),
        );
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        log.warn(`${name}: could not estimate the cost: ${why}`);
        const pick = await vscode.window.showWarningMessage(
          `RAPTOR could not estimate the cost of indexing ${name} (${why.replace(/\.$/, '')}). Index anyway?`,
          { modal: true },
          'Continue',
        );
        return pick === 'Continue';
      }
      const t = estimate.tokens;
      log.info(
        `${name}: estimated ${estimate.documents} document(s), ${estimate.calls.summary} summary + ${estimate.calls.embedding} embedding call(s), ` +
          `${t.total} tokens (${t.prompt} prompt / ${t.completion} completion / ${t.embedding} embedding).`,
      );
      const decision = decideCostConfirmation(s.index, estimate, s.confirmAboveTokens, multiRoot ? name : undefined);
      if (!decision.ask) return true;
      const pick = await vscode.window.showWarningMessage(
        decision.message,
        {
          modal: true,
          detail:
            s.confirmAboveTokens === 0
              ? 'raptor.confirmAboveTokens is 0, so RAPTOR asks before every run with a paid provider.'
              : `The estimate is above raptor.confirmAboveTokens (${formatTokens(s.confirmAboveTokens)} tokens). Calls already made and cached are not counted again.`,
        },
        'Continue',
      );
      return pick === 'Continue';
    } finally {
      confirming.delete(index);
    }
  };

  const openDocument = async (arg: unknown) => {
    const target = documentTarget(deps, arg);
    if (!target) return;
    await vscode.window.showTextDocument(vscode.Uri.file(`${target.index.root}/${target.relPath}`), { preview: true });
  };

  return [
    register('raptor.indexWorkspace', indexWorkspace),
    register('raptor.pause', async () => {
      const running = indexes.all().filter((i) => i.isRunning || i.status?.status === 'running');
      if (running.length === 0) return void vscode.window.showInformationMessage('RAPTOR: nothing is running.');
      await Promise.all(running.map((i) => i.pause()));
      flash('paused — finished work is kept; Resume continues where it stopped');
    }),
    register('raptor.resume', async () => {
      const resumable = indexes.all().filter((i) => !i.isRunning && i.status && ['paused', 'running', 'pending'].includes(i.status.status));
      if (resumable.length === 0) return void vscode.window.showInformationMessage('RAPTOR: there is no paused task to resume.');
      for (const index of resumable) {
        const problem = index.refusal();
        if (problem) void vscode.window.showWarningMessage(`RAPTOR: ${problem}`);
        else void indexes.runInBackground(index);
      }
      flash('resumed');
    }),
    register('raptor.cancel', async () => {
      const open = indexes.all().filter((i) => i.isRunning || (i.status && ['running', 'paused', 'pending'].includes(i.status.status)));
      if (open.length === 0) return void vscode.window.showInformationMessage('RAPTOR: there is no task to cancel.');
      await Promise.all(open.map((i) => i.cancel()));
      flash('cancelled — completed documents are kept');
    }),
    register('raptor.retryFailed', async () => {
      let queued = 0;
      for (const index of indexes.all()) {
        if (!index.status || index.status.failed_documents + index.status.cancelled_documents === 0) continue;
        const n = await index.retryFailed();
        queued += n;
        if (n > 0) void indexes.runInBackground(index);
      }
      if (queued === 0) void vscode.window.showInformationMessage('RAPTOR: no failed documents to retry.');
      else flash(`retrying ${queued} document(s)`);
    }),
    register('raptor.retryDocument', async (arg) => {
      const target = documentTarget(deps, arg);
      if (!target) return void vscode.window.showWarningMessage('RAPTOR: choose a document in the RAPTOR Documents view.');
      if (!(await target.index.retryDocument(target.relPath))) {
        return void vscode.window.showInformationMessage(`RAPTOR: ${target.relPath} cannot be retried now (it is running or completed).`);
      }
      void indexes.runInBackground(target.index);
      flash(`retrying ${target.relPath}`);
    }),
    register('raptor.reindexDocument', async (arg) => {
      const target = documentTarget(deps, arg);
      if (!target) return void vscode.window.showWarningMessage('RAPTOR: choose a document in the RAPTOR Documents view.');
      if (!(await target.index.reindexDocument(target.relPath))) {
        return void vscode.window.showInformationMessage(`RAPTOR: ${target.relPath} is not in the index or is being indexed right now.`);
      }
      void indexes.runInBackground(target.index);
      flash(`re-indexing ${target.relPath}`);
    }),
    register('raptor.openDocument', openDocument),
    register('raptor.revealInExplorer', async (arg) => {
      const target = documentTarget(deps, arg);
      if (target) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(`${target.index.root}/${target.relPath}`));
    }),
    register('raptor.showInDashboard', (arg) => {
      const target = documentTarget(deps, arg);
      const shown = target && (indexes.all().length > 1 ? `${target.index.folder.name}/${target.relPath}` : target.relPath);
      DashboardPanel.createOrShow(context, indexes, log, shown);
    }),
    register('raptor.openDashboard', () => {
      DashboardPanel.createOrShow(context, indexes, log);
    }),
    register('raptor.showCheckpointStatus', async () => {
      await Promise.all(indexes.all().map((i) => i.load({ fresh: true }).catch((e: Error) => log.warn(`${i.folder.name}: ${e.message}`))));
      const withStatus = indexes.all().filter((i) => i.status && i.status.total_documents > 0);
      if (withStatus.length === 0) return void vscode.window.showInformationMessage('RAPTOR: there is no index in this workspace yet.');
      const lines = withStatus.map((i) => {
        const s = i.status!;
        return (
          `${i.folder.name}: ${s.status}, ${s.completed_documents}/${s.total_documents} completed, ${s.failed_documents} failed, ` +
          `${s.pending_documents + s.running_documents} to do, ${formatTokens(s.token_count.total)} tokens — checkpoint ${i.dbPath()}`
        );
      });
      for (const l of lines) log.info(l);
      // Not awaited: the command is done once the status is shown; the button may be clicked much later.
      void vscode.window.showInformationMessage(`RAPTOR: ${lines.join(' | ')}`, 'Open Details').then(async (pick) => {
        if (pick !== 'Open Details') return;
        const details = Object.fromEntries(withStatus.map((i) => [i.folder.name, { db: i.dbPath(), ...i.status }]));
        const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(details, null, 2) });
        await vscode.window.showTextDocument(doc, { preview: true });
      });
      return withStatus.map((i) => i.status);
    }),
    register('raptor.search', () => searchIndex(indexes.all(), indexes.all().length > 1, log)),
    register('raptor.reset', async () => {
      const withIndex = indexes.all().filter((i) => i.status || i.hasIndexOnDisk());
      if (withIndex.length === 0) return void vscode.window.showInformationMessage('RAPTOR: there is no index to reset.');
      const confirm = await vscode.window.showWarningMessage(
        `Reset the RAPTOR index of ${withIndex.map((i) => i.folder.name).join(', ')}?`,
        { modal: true, detail: 'Every tree and checkpoint is deleted; the next Index Workspace starts from scratch (already-paid provider calls stay cached).' },
        'Reset Index',
      );
      if (confirm !== 'Reset Index') return;
      for (const index of withIndex) await index.reset();
      log.info('Index reset.');
      flash('index reset');
    }),
    register('raptor.setApiKey', async () => {
      const key = await vscode.window.showInputBox({
        title: 'RAPTOR: Set API Key',
        prompt: 'API key of the OpenAI-compatible provider. Stored in VS Code SecretStorage; leave empty to remove it.',
        password: true,
        ignoreFocusOut: true,
      });
      if (key === undefined) return;
      if (key.trim() === '') {
        await context.secrets.delete(API_KEY_SECRET);
        void vscode.window.showInformationMessage('RAPTOR: API key removed.');
      } else {
        await context.secrets.store(API_KEY_SECRET, key.trim());
        void vscode.window.showInformationMessage('RAPTOR: API key saved in SecretStorage.');
      }
      deps.onApiKeyChanged();
    }),
  ];
}
