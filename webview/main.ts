// The dashboard page (browser). It trusts nothing it receives: every host message is validated against the shared
// protocol, malformed ones are dropped with a console warning. State lives in the host; after a hide/restore the
// page asks again (webview/ready) and gets a fresh snapshot.
import './dashboard.css';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';
import type { VscodeProgressBar } from '@vscode-elements/elements/dist/vscode-progress-bar/vscode-progress-bar.js';
import { describeInvalid, hostToPageMessageSchema, type PageRequestBody, type PageState } from '../src/protocol/dashboard';
import { PendingReplies } from '../src/protocol/pendingReplies';
import { DashboardCharts } from './charts';
import {
  applyHostMessage,
  currentTiming,
  emptyModel,
  enabledActions,
  failedCount,
  formatCount,
  formatDuration,
  type EnabledActions,
} from './dashboardModel';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** Rows drawn in the failed table; the heading always shows the exact count. */
const MAX_FAILED_ROWS = 500;

const vscode = acquireVsCodeApi();
const model = emptyModel();
const replies = new PendingReplies((m) => vscode.postMessage(m), 30_000, undefined, 1 + Math.floor(Math.random() * 2 ** 40));

const app = document.getElementById('app')!;
app.innerHTML = `
  <header class="top">
    <h1>RAPTOR Index</h1>
    <span id="task-state" data-state="pending" title="Task state">pending</span>
    <div class="toolbar" role="toolbar" aria-label="Task actions">
      <vscode-button id="pause" disabled>Pause</vscode-button>
      <vscode-button id="resume" disabled>Resume</vscode-button>
      <vscode-button id="cancel" secondary disabled>Cancel</vscode-button>
      <vscode-button id="retry-failed" secondary disabled>Retry Failed</vscode-button>
    </div>
  </header>
  <p id="task-message"></p>
  <p id="notice" role="alert" hidden></p>
  <p id="focus-document" hidden></p>
  <div class="progress-line"><span id="progress-text">Waiting for the extension…</span><span id="progress-percent"></span></div>
  <vscode-progress-bar id="progress" max="100" value="0" aria-label="Indexing progress"></vscode-progress-bar>
  <div class="stats">
    <div class="stat"><span class="label">Elapsed</span><span class="value" id="elapsed">—</span></div>
    <div class="stat"><span class="label">ETA</span><span class="value" id="eta">—</span></div>
    <div class="stat"><span class="label">Throughput</span><span class="value" id="throughput">—</span></div>
    <div class="stat"><span class="label">Tokens used</span><span class="value" id="tokens-total">—</span></div>
  </div>
  <div class="charts">
    <figure class="chart"><figcaption>Documents completed over time</figcaption><div class="canvas-box"><canvas id="chart-documents" role="img" aria-label="Documents completed and failed over time, with throughput"></canvas></div></figure>
    <figure class="chart"><figcaption>Documents by state</figcaption><div class="canvas-box"><canvas id="chart-states" role="img" aria-label="Documents by state"></canvas></div></figure>
    <figure class="chart wide"><figcaption>Tokens used over time</figcaption><div class="canvas-box"><canvas id="chart-tokens" role="img" aria-label="Prompt, completion and embedding tokens over time"></canvas></div></figure>
  </div>
  <section class="failed" aria-labelledby="failed-heading">
    <h2 id="failed-heading">Failed documents <span class="count" id="failed-count"></span></h2>
    <p class="empty" id="failed-empty">No document has failed.</p>
    <table id="failed-table" hidden>
      <thead><tr><th scope="col">Document</th><th scope="col">Error</th><th scope="col">Retries</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
      <tbody id="failed-rows"></tbody>
    </table>
    <p class="empty" id="failed-more" hidden></p>
  </section>`;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const buttons: Record<keyof EnabledActions, VscodeButton> = {
  pause: $<VscodeButton>('pause'),
  resume: $<VscodeButton>('resume'),
  cancel: $<VscodeButton>('cancel'),
  retryFailed: $<VscodeButton>('retry-failed'),
};
const requests: Record<keyof EnabledActions, PageRequestBody> = {
  pause: { type: 'task/pause' },
  resume: { type: 'task/resume' },
  cancel: { type: 'task/cancel' },
  retryFailed: { type: 'task/retryFailed' },
};
/** Actions waiting for their reply: their button stays disabled so a double click does not send twice. */
const inFlight = new Set<string>();
const charts = new DashboardCharts(
  $<HTMLCanvasElement>('chart-documents'),
  $<HTMLCanvasElement>('chart-states'),
  $<HTMLCanvasElement>('chart-tokens'),
);

function showNotice(text: string | null): void {
  const notice = $('notice');
  notice.textContent = text ?? '';
  notice.hidden = text === null;
}

async function act(key: string, body: PageRequestBody): Promise<void> {
  if (inFlight.has(key)) return;
  inFlight.add(key);
  scheduleRender();
  try {
    await replies.request(body);
    showNotice(null);
  } catch (e) {
    showNotice(e instanceof Error ? e.message : String(e));
  } finally {
    inFlight.delete(key);
    scheduleRender();
  }
}

for (const key of Object.keys(buttons) as (keyof EnabledActions)[]) {
  buttons[key].addEventListener('click', () => {
    if (!buttons[key].disabled) void act(key, requests[key]);
  });
}

$('failed-rows').addEventListener('click', (ev) => {
  const button = (ev.target as Element).closest<HTMLButtonElement>('button[data-path]');
  const path = button?.dataset.path;
  if (!button || path === undefined || button.disabled) return;
  if (button.classList.contains('retry-doc')) void act(`retry:${path}`, { type: 'document/retry', path });
  else if (button.classList.contains('open-doc')) void act(`open:${path}`, { type: 'document/open', path });
});

let failedDirty = true;

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const parsed = hostToPageMessageSchema.safeParse(ev.data);
  if (!parsed.success) {
    console.warn(describeInvalid(ev.data, parsed.error));
    return;
  }
  const message = parsed.data;
  if (message.type === 'reply') {
    if (!replies.onReply(message)) console.warn(`reply ${message.id} matches no request; dropped`);
    return;
  }
  applyHostMessage(model, message, Date.now());
  if (message.type === 'state/snapshot' || message.type === 'view/focusDocument') failedDirty = true;
  else if (message.type === 'state/event' && message.events.some((e) => e.type === 'document/state')) failedDirty = true;
  if (message.type === 'view/focusDocument') vscode.setState({ focusPath: message.path } satisfies PageState);
  scheduleRender();
});

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render(): void {
  const task = model.task;
  const state = $('task-state');
  state.textContent = task?.status ?? 'pending';
  state.dataset.state = task?.status ?? 'pending';
  $('task-message').textContent = task?.message ?? '';

  const enabled = enabledActions(task);
  for (const key of Object.keys(buttons) as (keyof EnabledActions)[]) {
    buttons[key].disabled = !enabled[key] || inFlight.has(key);
  }

  const bar = $<VscodeProgressBar>('progress');
  if (!model.snapshotReceived) {
    $('progress-text').textContent = 'Waiting for the extension…';
  } else if (!task) {
    $('progress-text').textContent = 'No index is open: open a folder and build its index.';
    bar.value = 0;
  } else {
    const done = task.completed_documents;
    const parts = [`${formatCount(done)} of ${formatCount(task.total_documents)} documents indexed`];
    if (task.running_documents) parts.push(`${formatCount(task.running_documents)} running`);
    if (task.failed_documents) parts.push(`${formatCount(task.failed_documents)} failed`);
    if (task.cancelled_documents) parts.push(`${formatCount(task.cancelled_documents)} cancelled`);
    $('progress-text').textContent = parts.join(' · ');
    const percent = task.total_documents > 0 ? (100 * done) / task.total_documents : 0;
    $('progress-percent').textContent = `${percent.toFixed(percent < 10 && percent > 0 ? 1 : 0)}%`;
    bar.value = percent;
  }
  renderTiming();
  if (failedDirty) renderFailed();
  renderFocus();
  charts.update(model.history, task);
}

function renderTiming(): void {
  const t = currentTiming(model, Date.now());
  $('elapsed').textContent = formatDuration(t.elapsedSeconds);
  $('eta').textContent = model.task?.status === 'running' ? formatDuration(t.etaSeconds) : '—';
  $('throughput').textContent = t.docsPerSecond === null ? '—' : `${t.docsPerSecond.toFixed(2)} docs/s`;
  $('tokens-total').textContent = model.task ? formatCount(model.task.token_count.total) : '—';
}

function renderFailed(): void {
  failedDirty = false;
  const failed = [...model.failed.values()].sort((a, b) => a.path.localeCompare(b.path));
  const total = failedCount(model);
  $('failed-count').textContent = total ? `(${formatCount(total)})` : '';
  $('failed-empty').hidden = total > 0;
  $('failed-table').hidden = failed.length === 0;
  const rows = failed.slice(0, MAX_FAILED_ROWS).map((f) => {
    const tr = document.createElement('tr');
    if (model.focus?.path === f.path) tr.className = 'focused';
    const pathCell = document.createElement('td');
    const open = document.createElement('button');
    open.className = 'open-doc';
    open.dataset.path = f.path;
    open.textContent = f.path;
    open.title = `Open ${f.path}`;
    pathCell.append(open);
    const error = document.createElement('td');
    error.className = 'error';
    error.textContent = f.error ?? 'Unknown error';
    const retries = document.createElement('td');
    retries.className = 'retries';
    retries.textContent = String(f.retryCount);
    const action = document.createElement('td');
    const retry = document.createElement('button');
    retry.className = 'retry-doc';
    retry.dataset.path = f.path;
    retry.textContent = 'Retry';
    retry.title = `Retry ${f.path}`;
    retry.disabled = inFlight.has(`retry:${f.path}`);
    action.append(retry);
    tr.append(pathCell, error, retries, action);
    return tr;
  });
  $('failed-rows').replaceChildren(...rows);
  const more = $('failed-more');
  more.hidden = total <= rows.length;
  more.textContent = `${formatCount(total - rows.length)} more not shown; Retry Failed retries them all.`;
}

function renderFocus(): void {
  const box = $('focus-document');
  const focus = model.focus;
  box.hidden = focus === null;
  if (!focus) return;
  const d = focus.document;
  box.textContent = d
    ? `${d.path}: ${d.state}${d.retryCount ? `, ${d.retryCount} retries` : ''}${d.error ? ` — ${d.error}` : ''}`
    : `${focus.path} is not a document of this index.`;
}

// Elapsed time and ETA keep moving between progress events.
setInterval(() => {
  if (model.task?.status === 'running') renderTiming();
}, 1000);

// VS Code switches theme by changing the body class and the --vscode-* variables on <html>.
new MutationObserver(() => charts.applyTheme()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
new MutationObserver(() => charts.applyTheme()).observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });

// The page is torn down when hidden; whoever still waits for a reply hears so instead of timing out.
window.addEventListener('pagehide', () => replies.dispose());

render();
vscode.postMessage({ type: 'webview/ready' });
