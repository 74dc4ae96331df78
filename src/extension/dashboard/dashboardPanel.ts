// The dashboard webview panel: one per window, revived after a reload by the serializer. This file is the vscode
// glue only; what the page may ask and what it is sent lives in DashboardSession (tested without vscode).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { EngineEvent } from '../../engine/types';
import { pageStateSchema } from '../../protocol/dashboard';
import { renderDashboardHtml } from './dashboardHtml';
import { DashboardSession, type DashboardActions } from './dashboardSession';
import { ProgressHistory } from './progressHistory';

/** The session's actions, with a subscription the extension can own as a vscode.Disposable. */
export interface DashboardController extends DashboardActions {
  onEvent(listener: (e: EngineEvent) => void): vscode.Disposable;
}

export const DASHBOARD_VIEW_TYPE = 'raptorIndex.dashboard';

/**
 * The progress history of each controller, recorded from the first time the dashboard code meets it (the
 * serializer is registered at activation), so a panel opened an hour into a run still draws the whole hour.
 */
const histories = new WeakMap<DashboardController, ProgressHistory>();

function historyFor(context: vscode.ExtensionContext, controller: DashboardController): ProgressHistory {
  let history = histories.get(controller);
  if (!history) {
    const created = new ProgressHistory();
    histories.set(controller, created);
    context.subscriptions.push(
      controller.onEvent((e) => {
        if (e.type === 'progress') created.record(e, Date.now());
      }),
    );
    history = created;
  }
  return history;
}

export class DashboardPanel {
  private static current: DashboardPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly session: DashboardSession;

  static createOrShow(
    context: vscode.ExtensionContext,
    controller: DashboardController,
    log: vscode.LogOutputChannel,
    focusPath?: string,
  ): DashboardPanel {
    let panel = DashboardPanel.current;
    if (panel) {
      panel.panel.reveal(undefined, false);
    } else {
      const webviewPanel = vscode.window.createWebviewPanel(
        DASHBOARD_VIEW_TYPE,
        'RAPTOR Index Dashboard',
        vscode.ViewColumn.Active,
        webviewOptions(context),
      );
      panel = new DashboardPanel(webviewPanel, context, controller, log);
    }
    if (focusPath !== undefined) panel.focusDocument(focusPath);
    return panel;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    controller: DashboardController,
    log: vscode.LogOutputChannel,
  ) {
    DashboardPanel.current = this;
    const webview = panel.webview;
    // A revived panel keeps the options it was saved with; set them again so the roots and scripts are ours.
    webview.options = webviewOptions(context);
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'dashboard.svg');
    this.session = new DashboardSession({
      controller,
      history: historyFor(context, controller),
      post: (m) => webview.postMessage(m),
      log,
    });
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => void this.session.receive(m)),
      panel.onDidChangeViewState(({ webviewPanel }) => {
        // Without retainContextWhenHidden the page is destroyed when hidden; it asks again with webview/ready.
        if (!webviewPanel.visible) this.session.pageHidden();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
    const asset = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, ...p)).toString();
    webview.html = renderDashboardHtml({
      cspSource: webview.cspSource,
      scriptUri: asset('dist', 'webview.js'),
      styleUri: asset('dist', 'webview.css'),
      nonce: randomBytes(18).toString('base64'),
    });
  }

  /** Used by the serializer: take over a panel VS Code restored after a reload. */
  static revive(
    panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    controller: DashboardController,
    log: vscode.LogOutputChannel,
  ): DashboardPanel {
    DashboardPanel.current?.panel.dispose();
    return new DashboardPanel(panel, context, controller, log);
  }

  /** Shows one document's state on the page (and keeps showing it after hide/restore). */
  focusDocument(path: string): void {
    this.session.focusDocument(path);
  }

  private dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    this.session.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export function registerDashboardSerializer(
  context: vscode.ExtensionContext,
  controller: DashboardController,
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  historyFor(context, controller); // start recording now, not when the panel first opens
  return vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      // The page's saved state is only UI state (and untrusted); the truth comes with the snapshot after webview/ready.
      const revived = DashboardPanel.revive(panel, context, controller, log);
      const focusPath = pageStateSchema.safeParse(state);
      if (focusPath.success && focusPath.data.focusPath !== undefined) revived.focusDocument(focusPath.data.focusPath);
    },
  });
}

function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')],
  };
}
