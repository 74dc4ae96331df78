// Second view: the RAPTOR tree of the document selected in Documents — layers (top summary first) → nodes, with the
// node's text in its tooltip. Loaded on selection from the worker (read-only), never during a refresh storm.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FolderIndex } from './folderIndex';

interface ViewNode {
  id: string;
  layer: number;
  index: number;
  text: string;
  tokens: number;
  children: string[];
  location?: { lineStart: number; lineEnd: number; page?: number };
}

type Item = { kind: 'layer'; layer: number; nodes: ViewNode[] } | { kind: 'node'; node: ViewNode } | { kind: 'info'; text: string };

export class DocumentRaptorTreeProvider implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private selected: { index: FolderIndex; relPath: string } | undefined;
  private layers: Item[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {}

  async show(target: { index: FolderIndex; relPath: string } | undefined): Promise<void> {
    this.selected = target;
    this.layers = [];
    if (target) {
      try {
        const nodes = (await target.index.documentTree(target.relPath)) as ViewNode[];
        const byLayer = new Map<number, ViewNode[]>();
        for (const n of nodes) byLayer.set(n.layer, [...(byLayer.get(n.layer) ?? []), n]);
        this.layers = [...byLayer.entries()]
          .sort((a, b) => b[0] - a[0])
          .map(([layer, list]) => ({ kind: 'layer' as const, layer, nodes: list.sort((a, b) => a.index - b.index) }));
        if (this.layers.length === 0) this.layers = [{ kind: 'info', text: `${target.relPath} has no tree yet.` }];
      } catch (e) {
        this.log.warn(`Document tree of ${target.relPath}: ${(e as Error).message}`);
        this.layers = [{ kind: 'info', text: (e as Error).message }];
      }
    }
    this.changed.fire();
  }

  getChildren(item?: Item): Item[] {
    if (!item) return this.layers;
    return item.kind === 'layer' ? item.nodes.map((node) => ({ kind: 'node' as const, node })) : [];
  }

  getTreeItem(item: Item): vscode.TreeItem {
    if (item.kind === 'info') return new vscode.TreeItem(item.text);
    if (item.kind === 'layer') {
      const t = new vscode.TreeItem(
        item.layer === 0 ? `Chunks (${item.nodes.length})` : `Layer ${item.layer} summaries (${item.nodes.length})`,
        item.layer === Math.max(...this.layers.map((l) => (l.kind === 'layer' ? l.layer : 0)))
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed,
      );
      t.iconPath = new vscode.ThemeIcon(item.layer === 0 ? 'list-flat' : 'layers');
      return t;
    }
    const n = item.node;
    const t = new vscode.TreeItem(n.text.replace(/\s+/g, ' ').slice(0, 80));
    t.id = n.id;
    t.description = `${n.tokens} tok${n.children.length ? ` · ${n.children.length} children` : ''}${n.location ? ` · lines ${n.location.lineStart}–${n.location.lineEnd}` : ''}`;
    t.tooltip = new vscode.MarkdownString().appendText(n.text);
    t.iconPath = new vscode.ThemeIcon(n.layer === 0 ? 'symbol-text' : 'symbol-namespace');
    if (n.location && this.selected && ['.md', '.markdown', '.txt', '.rst'].includes(path.extname(this.selected.relPath).toLowerCase())) {
      const uri = vscode.Uri.file(path.join(this.selected.index.root, this.selected.relPath));
      const range = new vscode.Range(n.location.lineStart - 1, 0, Math.max(n.location.lineStart - 1, n.location.lineEnd - 1), 0);
      t.command = { command: 'vscode.open', title: 'Open at chunk', arguments: [uri, { selection: range, preview: true }] };
    }
    return t;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
