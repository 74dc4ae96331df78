// Created/changed/deleted files → markChanged (stale), so the next Index Workspace redoes only those.
// The index folder (.raptor) is never watched; bursts (git checkout, builds) are batched.
import * as vscode from 'vscode';
import type { WorkspaceIndexes } from './workspaceIndexes';

const BATCH_MS = 1000;

export class IndexFileWatcher implements vscode.Disposable {
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/*');
  /** Changed path → when we heard of the change. */
  private readonly pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly indexes: WorkspaceIndexes,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const onUri = (uri: vscode.Uri) => this.collect(uri);
    this.watcher.onDidCreate(onUri);
    this.watcher.onDidChange(onUri);
    this.watcher.onDidDelete(onUri);
  }

  private collect(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    if (/[\\/](\.raptor|\.git|node_modules)([\\/]|$)/.test(uri.fsPath)) return;
    this.pending.set(uri.fsPath, Date.now());
    this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const byIndex = new Map<ReturnType<WorkspaceIndexes['all']>[number], Array<{ relPath: string; changedAt: number }>>();
    for (const [p, changedAt] of this.pending) {
      const target = this.indexes.locate(p);
      if (!target) continue;
      byIndex.set(target.index, [...(byIndex.get(target.index) ?? []), { relPath: target.relPath, changedAt }]);
    }
    this.pending.clear();
    for (const [index, changes] of byIndex) {
      // Only documents the index knows become stale (new files are found by the next run's discovery anyway), and
      // not those whose indexing started after the change: they already read the new content (save, then Retry).
      const known = new Map(index.status?.documents.map((d) => [d.path, d]) ?? []);
      const stale = changes
        .filter(({ relPath, changedAt }) => {
          const doc = known.get(relPath);
          return doc && !(doc.started_at && Date.parse(doc.started_at) > changedAt);
        })
        .map((c) => c.relPath);
      if (stale.length === 0) continue;
      try {
        await index.markChanged(stale);
        this.log.info(`${index.folder.name}: ${stale.length} changed file(s) marked stale: ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}`);
      } catch (e) {
        this.log.warn(`${index.folder.name}: could not mark changed files stale: ${(e as Error).message}`);
      }
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher.dispose();
  }
}
