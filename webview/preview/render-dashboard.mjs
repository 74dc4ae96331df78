// Renders the built dashboard page (dist/webview.js + .css) exactly as the panel serves it (same HTML and CSP) in
// headless Chromium, with a fake acquireVsCodeApi that answers webview/ready with a snapshot of a run and replies to
// requests; clicks Pause, a row's Retry and a path; prints what it saw; writes a screenshot per theme.
// A developer tool, not a test (playwright-core is not a project dependency):
//   node esbuild.js && NODE_PATH=<dir with playwright-core> node webview/preview/render-dashboard.mjs dark|light|hc [outDir]
// Needs Debian's chromium at /usr/bin/chromium (CHROMIUM to override).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { themes } from './themes.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(process.env.NODE_PATH?.split(path.delimiter)[0] ?? repo, 'noop.js'));
const { chromium } = require('playwright-core');
const htmlModule = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-preview-')), 'dashboardHtml.mjs');
await esbuild.build({ entryPoints: [path.join(repo, 'src/extension/dashboard/dashboardHtml.ts')], format: 'esm', outfile: htmlModule, logLevel: 'warning' });
const { renderDashboardHtml } = await import(pathToFileURL(htmlModule).href);
const nonce = 'PREVIEWNONCE123';
const mode = process.argv[2] ?? 'dark';
const outDir = process.argv[3] ?? process.cwd();
if (!themes[mode]) throw new Error(`theme must be one of ${Object.keys(themes).join(', ')}`);

const now = Date.now();
const history = [];
let completed = 0, failed = 0, p = 0, c = 0, e = 0;
for (let i = 0; i < 600; i++) {
  const rate = 0.25 + 0.15 * Math.sin(i / 40);
  completed += rate; if (i % 97 === 50) failed++;
  p += 900 * rate; c += 150 * rate; e += 2400 * rate;
  history.push({ seq: i, t: now - (600 - i) * 1000, total: 233, completed: Math.floor(completed), failed, docsPerSecond: +rate.toFixed(3), tokens: { prompt: Math.round(p), completion: Math.round(c), embedding: Math.round(e) } });
}
const last = history.at(-1);
const tokens = { ...last.tokens, total: last.tokens.prompt + last.tokens.completion + last.tokens.embedding };
const snapshot = {
  type: 'state/snapshot',
  task: { task_id: 'sotu', status: 'running', total_documents: 233, completed_documents: last.completed, failed_documents: 6, pending_documents: 233 - last.completed - 6 - 2, running_documents: 2, cancelled_documents: 0, progress: last.completed / 233, token_count: tokens, created_at: null, started_at: new Date(now - 600000).toISOString(), paused_at: null, resumed_at: null, completed_at: null, message: null },
  failed: [
    { path: 'speeches/1790-Washington.txt', error: 'The summarizer returned 429 Too Many Requests after 6 attempts.', retryCount: 2 },
    { path: 'speeches/1861-Lincoln.txt', error: 'Request timed out after 60 s.', retryCount: 1 },
    { path: 'reports/annual report 2023 (final).pdf', error: 'The PDF is encrypted; it cannot be read without its password.', retryCount: 0 },
    { path: 'notes/very/deeply/nested/folder/structure/with-a-long-file-name-that-wraps.md', error: 'x'.repeat(0) + 'Embedding failed: the input exceeds the model context of 8192 tokens (got 9120).', retryCount: 3 },
    { path: 'docs/<script>alert(1)</script>.html', error: '<img src=x onerror=alert(1)> must render as text', retryCount: 0 },
    { path: 'a.docx', error: null, retryCount: 0 },
  ],
  progress: { type: 'progress', total: 233, completed: last.completed, failed: 6, running: 2, pending: 233 - last.completed - 8, cancelled: 0, tokens, docsPerSecond: last.docsPerSecond, etaSeconds: 412, elapsedSeconds: 600 },
  history,
};

const fakeApi = `
  window.__sent = [];
  window.__snapshot = ${JSON.stringify(snapshot).replace(/</g, "\\u003c")};
  window.acquireVsCodeApi = () => ({
    getState: () => undefined, setState: (s) => { window.__state = s; },
    postMessage: (m) => {
      window.__sent.push(m);
      const post = (x) => setTimeout(() => window.postMessage(x, '*'), 20);
      if (m.type === 'webview/ready') { post(window.__snapshot); post({ type: 'bogus/message' }); return; }
      const state = { 'task/pause': 'paused', 'task/resume': 'running', 'task/cancel': 'cancelled' }[m.type];
      if (state) post({ type: 'state/event', events: [{ type: 'task/state', state, message: state === 'paused' ? 'Paused by the user.' : null }], samples: [] });
      if (m.type === 'document/retry') post({ type: 'state/event', events: [{ type: 'document/state', path: m.path, state: 'pending', error: null, retryCount: 0 }], samples: [] });
      post({ type: 'reply', id: m.id, ok: m.type !== 'document/open', error: m.type === 'document/open' ? 'Could not open that file.' : undefined });
    },
  });`;

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
  if (url.pathname === '/') {
    const origin = `http://127.0.0.1:${server.address().port}`;
    let html = renderDashboardHtml({ cspSource: origin, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css`, nonce });
    const t = themes[mode];
    const style = Object.entries(t.vars).map(([k, v]) => `${k}: ${v}`).join('; ');
    const setVars = `for (const [k, v] of Object.entries(${JSON.stringify(t.vars)})) document.documentElement.style.setProperty(k, v);`;
    html = html.replace('<body>', `<body class="${t.bodyClass}">`)
      .replace('<main', `<script nonce="${nonce}">${setVars}${fakeApi}</script>\n<main`);
    res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    return;
  }
  const file = path.join(repo, url.pathname);
  if (!file.startsWith(path.join(repo, 'dist')) || !fs.existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream' }).end(fs.readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
const logs = [];
page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
page.on('requestfailed', (r) => logs.push(`requestfailed: ${r.url()}`));
page.on('response', (r) => { if (r.status() >= 400) logs.push(`${r.status()}: ${r.url()}`); });
page.on('pageerror', (err) => logs.push(`pageerror: ${err.message}`));
await page.goto(`http://127.0.0.1:${server.address().port}/`);
await page.waitForFunction(() => document.getElementById('task-state')?.textContent === 'running', null, { timeout: 5000 }).catch(async (e) => { console.log(logs.join('\n')); await page.screenshot({ path: path.join(outDir, 'dashboard-fail.png') }); throw e; });
await page.waitForTimeout(300);
await page.screenshot({ path: path.join(outDir, `dashboard-${mode}.png`), fullPage: true });

const checks = {};
checks.buttons = await page.evaluate(() => ['pause', 'resume', 'cancel', 'retry-failed'].map((id) => `${id}:${document.getElementById(id).disabled ? 'off' : 'on'}`).join(' '));
checks.retryRows = await page.locator('button.retry-doc[data-path]').count();
checks.xssAsText = await page.evaluate(() => document.querySelectorAll('img').length === 0 && document.body.textContent.includes('<img src=x onerror=alert(1)>'));
const t0 = Date.now();
await page.click('#pause');
await page.waitForFunction(() => document.getElementById('task-state').textContent === 'paused', null, { timeout: 1000 });
checks.pauseToPausedMs = Date.now() - t0;
checks.afterPause = await page.evaluate(() => ['pause', 'resume', 'cancel', 'retry-failed'].map((id) => `${id}:${document.getElementById(id).disabled ? 'off' : 'on'}`).join(' '));
await page.click('button.retry-doc[data-path="speeches/1861-Lincoln.txt"]');
await page.waitForFunction(() => !document.querySelector('button.retry-doc[data-path="speeches/1861-Lincoln.txt"]'), null, { timeout: 1000 });
checks.retriedRowGone = true;
await page.click('button.open-doc[data-path="a.docx"]');
await page.waitForFunction(() => !document.getElementById('notice').hidden, null, { timeout: 1000 });
checks.notice = await page.textContent('#notice');
checks.sent = await page.evaluate(() => window.__sent.map((m) => m.type + (m.path ? `(${m.path})` : '')).join(', '));
if (mode === 'dark') {
  // Switch theme live: charts must re-read their colours.
  await page.evaluate(({ vars, bodyClass }) => {
    document.body.className = bodyClass;
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
  }, themes.light);
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(outDir, 'dashboard-dark-switched-to-light.png'), fullPage: true });
}
console.log(JSON.stringify(checks, null, 1));
console.log(logs.join('\n'));
await browser.close();
server.close();
// A blocked style or script means the page breaks under the panel's CSP; a page error means it breaks anyway.
const problems = logs.filter((l) => l.includes('Content Security Policy') || l.startsWith('pageerror'));
if (problems.length) {
  console.error(`${problems.length} problem(s) above`);
  process.exit(1);
}
