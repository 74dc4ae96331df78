// The dashboard page's HTML shell with its Content Security Policy. No vscode import, so the headless-browser
// check renders exactly the HTML the panel serves.

export interface DashboardHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** asWebviewUri(dist/webview.js) */
  scriptUri: string;
  /** asWebviewUri(dist/webview.css) */
  styleUri: string;
  /** Fresh per render: only scripts and styles carrying it run. */
  nonce: string;
}

export function dashboardCsp(o: Pick<DashboardHtmlOptions, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${o.nonce}'`,
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `img-src ${o.cspSource} data:`,
    `font-src ${o.cspSource}`,
  ].join('; ');
}

export function renderDashboardHtml(o: DashboardHtmlOptions): string {
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(dashboardCsp(o))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.styleUri)}" nonce="${attr(o.nonce)}">
<title>RAPTOR Index</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="loading">Loading the dashboard…</p></main>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>`;
}
