// The Documents view: converts the pure model's specs into TreeItems. Refreshes are coalesced (≤ 4/s) because a
// busy run changes hundreds of document states a second.
import * as vscode from 'vscode';
import { documentNodes, rootNodes, treeItemSpec, type DocumentsTreeNode, type FolderDocuments } from './documentsTreeModel';
import { RefreshCoalescer } from './refreshCoalescer';

export class DocumentsTreeProvider implements vscode.TreeDataProvider<DocumentsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DocumentsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly coalescer = new RefreshCoalescer(() => this.changed.fire(undefined), 250);
  /** Snapshot taken once per refresh, so one paint sees one consistent state. */
  private folders: FolderDocuments[] = [];

  constructor(private readonly source: () => FolderDocuments[]) {}

  refresh(): void {
    this.coalescer.request();
  }

  getChildren(node?: DocumentsTreeNode): DocumentsTreeNode[] {
    if (!node) {
      this.folders = this.source();
      if (this.folders.every((f) => f.status.total_documents === 0)) return []; // shows the viewsWelcome
      return rootNodes(this.folders);
    }
    return node.kind === 'group' ? documentNodes(this.folders, node.group) : [];
  }

  getTreeItem(node: DocumentsTreeNode): vscode.TreeItem {
    const spec = treeItemSpec(node, Date.now());
    const collapsible = {
      none: vscode.TreeItemCollapsibleState.None,
      collapsed: vscode.TreeItemCollapsibleState.Collapsed,
      expanded: vscode.TreeItemCollapsibleState.Expanded,
    }[spec.collapsible];
    const item = new vscode.TreeItem(spec.label, collapsible);
    // Group ids carry the count so VS Code re-applies the default expansion when a group fills up from empty.
    item.id = node.kind === 'group' ? `${spec.id}:${node.count === 0 ? 'empty' : 'some'}` : spec.id;
    item.description = spec.description;
    if (spec.tooltip) item.tooltip = new vscode.MarkdownString(spec.tooltip);
    item.iconPath = new vscode.ThemeIcon(spec.icon.id, spec.icon.color ? new vscode.ThemeColor(spec.icon.color) : undefined);
    item.contextValue = spec.contextValue;
    if (spec.openPath) {
      item.resourceUri = vscode.Uri.file(spec.openPath);
      item.command = { command: 'raptor.openDocument', title: 'Open Document', arguments: [node] };
    }
    return item;
  }

  dispose(): void {
    this.coalescer.dispose();
    this.changed.dispose();
  }
}
