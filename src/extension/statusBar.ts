// The status bar item: progress while a task exists; click opens the dashboard. Text comes from statusBarView (pure).
import * as vscode from 'vscode';
import type { TaskStatus } from '../engine/types';
import { RefreshCoalescer } from './refreshCoalescer';
import { statusBarView } from './taskStatusView';

export class IndexStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('raptor.status', vscode.StatusBarAlignment.Left, 50);
  private readonly coalescer = new RefreshCoalescer(() => this.render(), 250);

  constructor(private readonly source: () => TaskStatus | undefined) {
    this.item.name = 'RAPTOR Index';
    this.item.command = 'raptor.openDashboard';
    this.render();
  }

  refresh(): void {
    this.coalescer.request();
  }

  private render(): void {
    const view = statusBarView(this.source());
    if (!view.visible) {
      this.item.hide();
      return;
    }
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.coalescer.dispose();
    this.item.dispose();
  }
}
