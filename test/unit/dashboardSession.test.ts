// The host side of the dashboard, without vscode: what it accepts from the page, what it acts on, what it sends.
import { strict as assert } from 'assert';
import { DashboardSession, type DashboardActions } from '../../src/extension/dashboard/dashboardSession';
import { dashboardCsp, renderDashboardHtml } from '../../src/extension/dashboard/dashboardHtml';
import { ProgressHistory } from '../../src/extension/dashboard/progressHistory';
import type { DocumentStatus, EngineEvent, TaskStatus } from '../../src/engine/types';
import { hostToPageMessageSchema, type HostToPageMessage, type ProgressEvent } from '../../src/protocol/dashboard';
import { ManualTimers } from '../support/manualTimers';

const tokens = { prompt: 0, completion: 0, embedding: 0, total: 0 };

function doc(path: string, state: DocumentStatus['state'], error: string | null = null): DocumentStatus {
  return { path, state, retry_count: 0, error, token_count: tokens, chunks: 0, nodes: 0, layers: 0, started_at: null, completed_at: null };
}

function status(documents: DocumentStatus[], state: TaskStatus['status'] = 'running'): TaskStatus {
  const n = (s: DocumentStatus['state']) => documents.filter((d) => d.state === s).length;
  return {
    task_id: 'task-1',
    status: state,
    total_documents: documents.length,
    completed_documents: n('completed'),
    failed_documents: n('failed'),
    pending_documents: n('pending'),
    running_documents: n('running'),
    cancelled_documents: n('cancelled'),
    progress: documents.length ? n('completed') / documents.length : 0,
    token_count: tokens,
    created_at: null,
    started_at: null,
    paused_at: null,
    resumed_at: null,
    completed_at: null,
    message: null,
    documents,
  };
}

class FakeController implements DashboardActions {
  calls: string[] = [];
  listeners = new Set<(e: EngineEvent) => void>();
  failNext: Error | undefined;
  constructor(public current: TaskStatus | undefined) {}
  getStatus() {
    return this.current;
  }
  onEvent(listener: (e: EngineEvent) => void) {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  emit(e: EngineEvent) {
    for (const l of this.listeners) l(e);
  }
  private async act(name: string) {
    this.calls.push(name);
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }
  pause = () => this.act('pause');
  resume = () => this.act('resume');
  cancel = () => this.act('cancel');
  retryFailed = () => this.act('retryFailed');
  retryDocument = (path: string) => this.act(`retryDocument:${path}`);
  openDocument = (path: string) => this.act(`openDocument:${path}`);
}


function setup(options: { noIndex?: boolean } = {}) {
  const controller = new FakeController(
    options.noIndex ? undefined : status([doc('a.md', 'completed'), doc('b.md', 'failed', 'Rate limited.'), doc('c.md', 'pending')]),
  );
  const history = new ProgressHistory();
  const sent: HostToPageMessage[] = [];
  const logs: string[] = [];
  const timers = new ManualTimers();
  const session = new DashboardSession({
    controller,
    history,
    post: (m) => sent.push(m),
    log: { debug: (m) => logs.push(`debug ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) },
    timers,
  });
  return { controller, history, sent, logs, timers, session };
}

const progressEvent = (completed: number): ProgressEvent => ({
  type: 'progress',
  total: 3,
  completed,
  failed: 1,
  running: 0,
  pending: 2 - completed,
  cancelled: 0,
  tokens,
  docsPerSecond: 0.5,
  etaSeconds: 4,
  elapsedSeconds: 10,
});

describe('DashboardSession', () => {
  it('answers webview/ready with a full snapshot listing the failed documents', async () => {
    const { session, sent } = setup();
    await session.receive({ type: 'webview/ready' });
    assert.equal(sent.length, 1);
    const snap = sent[0]!;
    assert.equal(snap.type, 'state/snapshot');
    assert.ok(snap.type === 'state/snapshot');
    assert.equal(snap.task?.status, 'running');
    assert.equal(snap.task?.failed_documents, 1);
    assert.deepEqual(snap.failed, [{ path: 'b.md', error: 'Rate limited.', retryCount: 0 }]);
    assert.ok(!('documents' in (snap.task ?? {})), 'the full document list is not shipped to the page');
    assert.ok(hostToPageMessageSchema.safeParse(snap).success);
  });

  it('sends a snapshot with task null when no index is open', async () => {
    const { session, sent } = setup({ noIndex: true });
    await session.receive({ type: 'webview/ready' });
    assert.deepEqual(sent[0], { type: 'state/snapshot', task: null, failed: [], progress: null, history: [] });
  });

  it('sends a whole snapshot once an index appears after an empty one (changes alone cannot fill it in)', async () => {
    const { session, sent, controller, timers } = setup({ noIndex: true });
    await session.receive({ type: 'webview/ready' });
    assert.equal(sent.length, 1);
    controller.current = status([doc('a.md', 'completed'), doc('b.md', 'failed', 'Bad file.')], 'completed');
    controller.emit({ type: 'task/state', state: 'completed', message: null });
    timers.fireAll();
    const last = sent.at(-1)!;
    assert.equal(last.type, 'state/snapshot');
    assert.ok(last.type === 'state/snapshot');
    assert.equal(last.task?.status, 'completed');
    assert.deepEqual(last.failed, [{ path: 'b.md', error: 'Bad file.', retryCount: 0 }]);
    // From then on, changes again.
    controller.emit({ type: 'task/state', state: 'running', message: null });
    timers.fireAll();
    assert.equal(sent.at(-1)!.type, 'state/event');
  });

  it('drops and logs malformed or unknown messages without acting', async () => {
    const { session, sent, logs, controller } = setup();
    for (const raw of [
      null,
      'task/pause',
      { type: 'task/pause' },
      { type: 'task/pause', id: 1, now: true },
      { type: 'task/explode', id: 1 },
      { type: 'document/open', id: 2, path: '../../../etc/passwd' },
      { type: 'document/open', id: 3, path: 'x'.repeat(10_000) },
    ]) {
      await session.receive(raw);
    }
    assert.deepEqual(controller.calls, []);
    assert.equal(sent.length, 0, 'nothing is answered to a message that failed validation');
    assert.equal(logs.filter((l) => l.startsWith('warn dropped malformed')).length, 7);
    assert.ok(logs.every((l) => l.length < 400), 'the log line does not echo a huge message');
  });

  it('runs the task actions and replies ok by id', async () => {
    const { session, sent, controller } = setup();
    await session.receive({ type: 'webview/ready' });
    sent.length = 0;
    await session.receive({ type: 'task/pause', id: 1 });
    await session.receive({ type: 'task/resume', id: 2 });
    await session.receive({ type: 'task/cancel', id: 3 });
    await session.receive({ type: 'task/retryFailed', id: 4 });
    assert.deepEqual(controller.calls, ['pause', 'resume', 'cancel', 'retryFailed']);
    assert.deepEqual(sent, [1, 2, 3, 4].map((id) => ({ type: 'reply', id, ok: true })));
  });

  it('opens and retries only documents of the index', async () => {
    const { session, sent, controller, logs } = setup();
    await session.receive({ type: 'webview/ready' });
    sent.length = 0;
    await session.receive({ type: 'document/open', id: 1, path: 'a.md' });
    await session.receive({ type: 'document/retry', id: 2, path: 'b.md' });
    await session.receive({ type: 'document/open', id: 3, path: 'secrets/.env' }); // well-formed, but not indexed
    await session.receive({ type: 'document/retry', id: 4, path: 'A.md' }); // close is not equal
    assert.deepEqual(controller.calls, ['openDocument:a.md', 'retryDocument:b.md']);
    assert.deepEqual(sent.slice(0, 2), [
      { type: 'reply', id: 1, ok: true },
      { type: 'reply', id: 2, ok: true },
    ]);
    for (const reply of sent.slice(2)) {
      assert.ok(reply.type === 'reply' && reply.ok === false && /not a document of this index/.test(reply.error ?? ''));
    }
    assert.equal(logs.filter((l) => l.includes('not in the index')).length, 2);
  });

  it('refuses document paths when no index is open', async () => {
    const { session, sent, controller } = setup({ noIndex: true });
    await session.receive({ type: 'webview/ready' });
    await session.receive({ type: 'document/open', id: 9, path: 'a.md' });
    assert.deepEqual(controller.calls, []);
    const reply = sent.at(-1);
    assert.ok(reply?.type === 'reply' && reply.id === 9 && reply.ok === false);
  });

  it('turns a failing action into a one-sentence error reply and logs it', async () => {
    const { session, sent, controller, logs } = setup();
    await session.receive({ type: 'webview/ready' });
    controller.failNext = new Error('The index is locked by process 4242.');
    await session.receive({ type: 'task/resume', id: 7 });
    assert.deepEqual(sent.at(-1), { type: 'reply', id: 7, ok: false, error: 'The index is locked by process 4242.' });
    assert.ok(logs.some((l) => l.startsWith('error') && l.includes('locked')));
  });

  it('sends nothing before webview/ready; the snapshot then carries the state the events described', async () => {
    const { session, sent, controller, timers } = setup();
    controller.emit({ type: 'task/state', state: 'paused', message: null });
    timers.fireAll();
    assert.equal(sent.length, 0, 'nothing reaches a page that has not said ready');
    controller.current = status([doc('a.md', 'completed')], 'paused');
    await session.receive({ type: 'webview/ready' });
    timers.fireAll();
    assert.deepEqual(
      sent.map((m) => m.type),
      ['state/snapshot'],
      'no stale event is replayed after the snapshot',
    );
    assert.ok(sent[0]!.type === 'state/snapshot' && sent[0]!.task?.status === 'paused');
  });

  it('does not hand a reply owed to a hidden page to the next one (its ids start afresh)', async () => {
    const { session, sent, controller } = setup();
    await session.receive({ type: 'webview/ready' });
    let finishPause!: () => void;
    controller.pause = () => new Promise<void>((resolve) => (finishPause = resolve));
    const pending = session.receive({ type: 'task/pause', id: 1 });
    session.pageHidden();
    finishPause();
    await pending;
    await session.receive({ type: 'webview/ready' });
    assert.deepEqual(
      sent.map((m) => m.type),
      ['state/snapshot', 'state/snapshot'],
    );
  });

  it('coalesces engine events per throttle tick: latest state per document, latest progress, task state last', async () => {
    const { session, sent, controller, timers, history } = setup();
    await session.receive({ type: 'webview/ready' });
    sent.length = 0;
    controller.emit({ type: 'document/state', path: 'c.md', state: 'running', error: null, retryCount: 0 });
    controller.emit({ type: 'task/state', state: 'running', message: null });
    controller.emit({ type: 'document/state', path: 'c.md', state: 'failed', error: 'x'.repeat(50_000), retryCount: 1 });
    history.record(progressEvent(0), 1000);
    controller.emit(progressEvent(0));
    history.record(progressEvent(1), 2500);
    controller.emit(progressEvent(1));
    controller.emit({ type: 'log', level: 'info', message: 'not for the page' });
    assert.equal(sent.length, 0, 'nothing is sent before the throttle tick');
    assert.equal(timers.pending.size, 1, 'one tick is scheduled however many events arrive');
    timers.fireAll();
    assert.equal(sent.length, 1);
    const m = sent[0]!;
    assert.ok(m.type === 'state/event');
    assert.deepEqual(
      m.events.map((e) => e.type),
      ['document/state', 'progress', 'task/state'],
    );
    const d = m.events[0]!;
    assert.ok(d.type === 'document/state' && d.state === 'failed' && d.error !== null && d.error.length <= 2000, 'long errors are shortened, not dropped');
    assert.ok(m.events[1]!.type === 'progress' && m.events[1]!.completed === 1);
    assert.deepEqual(
      m.samples.map((s) => s.seq),
      [0, 1],
    );
    // Next tick sends only the newest point again (it may have been updated in place), not the whole history.
    history.record(progressEvent(2), 2900);
    controller.emit(progressEvent(2));
    timers.fireAll();
    const next = sent[1]!;
    assert.ok(next.type === 'state/event');
    assert.deepEqual(
      next.samples.map((s) => [s.seq, s.completed]),
      [[1, 2]],
    );
  });

  it('sends the whole history again after it was compacted', async () => {
    const { controller, history, sent, timers, session } = setup();
    await session.receive({ type: 'webview/ready' });
    sent.length = 0;
    for (let s = 0; s < 4000; s++) history.record(progressEvent(0), s * 1000);
    controller.emit(progressEvent(0));
    timers.fireAll();
    assert.equal(sent[0]?.type, 'history/reset');
    assert.ok(sent[0]!.type === 'history/reset' && sent[0]!.history.length <= 3600);
    assert.ok(sent.every((m) => hostToPageMessageSchema.safeParse(m).success));
  });

  it('flushes pending changes with the reply, so the page shows the new state at once', async () => {
    const { session, sent, controller, timers } = setup();
    await session.receive({ type: 'webview/ready' });
    sent.length = 0;
    controller.pause = async () => {
      controller.calls.push('pause');
      controller.emit({ type: 'task/state', state: 'paused', message: 'Paused by the user.' });
    };
    await session.receive({ type: 'task/pause', id: 5 });
    assert.deepEqual(
      sent.map((m) => m.type),
      ['state/event', 'reply'],
    );
    assert.equal(timers.pending.size, 0, 'the throttle tick was consumed by the flush');
  });

  it('after a hide, waits for ready again and sends a fresh snapshot (and the focused document)', async () => {
    const { session, sent, controller, timers } = setup();
    await session.receive({ type: 'webview/ready' });
    session.focusDocument('b.md');
    session.pageHidden();
    controller.emit({ type: 'task/state', state: 'paused', message: null });
    timers.fireAll();
    const before = sent.length;
    assert.deepEqual(
      sent.map((m) => m.type),
      ['state/snapshot', 'view/focusDocument'],
    );
    await session.receive({ type: 'webview/ready' });
    assert.deepEqual(
      sent.slice(before).map((m) => m.type),
      ['state/snapshot', 'view/focusDocument'],
    );
    const focus = sent.at(-1)!;
    assert.ok(focus.type === 'view/focusDocument' && focus.document?.state === 'failed' && focus.document.error === 'Rate limited.');
  });

  it('stops listening to the engine when disposed', () => {
    const { session, controller } = setup();
    assert.equal(controller.listeners.size, 1);
    session.dispose();
    assert.equal(controller.listeners.size, 0);
  });
});

describe('dashboard HTML', () => {
  const html = renderDashboardHtml({ cspSource: 'vscode-resource:', scriptUri: 'vscode-resource:/dist/webview.js', styleUri: 'vscode-resource:/dist/webview.css', nonce: 'abc123' });

  it('sets the strict CSP: nothing by default, only nonce scripts', () => {
    assert.equal(
      dashboardCsp({ cspSource: 'vscode-resource:', nonce: 'abc123' }),
      "default-src 'none'; script-src 'nonce-abc123'; style-src vscode-resource: 'nonce-abc123'; img-src vscode-resource: data:; font-src vscode-resource:",
    );
    assert.ok(html.includes(`content="default-src 'none'; script-src 'nonce-abc123';`));
  });

  it('loads its one script with the nonce and has no inline script', () => {
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.deepEqual(scripts, ['<script nonce="abc123" src="vscode-resource:/dist/webview.js">']);
    assert.ok(/<script[^>]*><\/script>/.test(html), 'the script tag has no inline body');
  });
});
