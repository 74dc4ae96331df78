// Pure view logic of the extension: Documents tree model, status-bar text, refresh coalescing, multi-root merge.
import { strict as assert } from 'assert';
import { RefreshCoalescer, type CoalescerTimers } from '../../src/extension/refreshCoalescer';
import { documentNodes, rootNodes, treeItemSpec, type FolderDocuments } from '../../src/extension/documentsTreeModel';
import { formatTokens, mergeStatuses, statusBarView } from '../../src/extension/taskStatusView';
import type { DocumentStatus, TaskStatus } from '../../src/engine/types';

const tok = (total: number) => ({ prompt: total, completion: 0, embedding: 0, total });

function doc(path: string, over: Partial<DocumentStatus> = {}): DocumentStatus {
  return {
    path, state: 'pending', retry_count: 0, error: null, token_count: tok(0), chunks: 0, nodes: 0, layers: 0,
    started_at: null, completed_at: null, ...over,
  };
}

function task(documents: DocumentStatus[], over: Partial<TaskStatus> = {}): TaskStatus {
  const n = (s: DocumentStatus['state']) => documents.filter((d) => d.state === s).length;
  return {
    task_id: 't1', status: 'running', total_documents: documents.length, completed_documents: n('completed'),
    failed_documents: n('failed'), pending_documents: n('pending'), running_documents: n('running'),
    cancelled_documents: n('cancelled'), progress: 0, token_count: tok(documents.reduce((a, d) => a + d.token_count.total, 0)),
    created_at: null, started_at: null, paused_at: null, resumed_at: null, completed_at: null, message: null,
    documents, ...over,
  };
}

const NOW = Date.parse('2026-01-01T00:01:00Z');

describe('Documents tree model', () => {
  const docs = [
    doc('b.md', { state: 'completed', chunks: 12, layers: 3, token_count: tok(1234), started_at: '2026-01-01T00:00:00Z', completed_at: '2026-01-01T00:00:04Z' }),
    doc('a.md', { state: 'completed', chunks: 1, layers: 1, token_count: tok(10) }),
    doc('run.txt', { state: 'running', started_at: '2026-01-01T00:00:30Z' }),
    doc('bad.pdf', { state: 'failed', retry_count: 2, error: 'Could not parse PDF: Invalid header\nat line 3', started_at: '2026-01-01T00:00:00Z', completed_at: '2026-01-01T00:00:01Z' }),
    doc('wait.md'),
    doc('old.md', { state: 'pending', stale: true }),
  ];
  const folders: FolderDocuments[] = [{ folderName: 'ws', root: '/home/u/ws', status: task(docs) }];

  it('groups by state with counts; Cancelled only when any, Stale when any', () => {
    const labels = rootNodes(folders).map((n) => treeItemSpec(n, NOW).label);
    assert.deepEqual(labels, ['Running (1)', 'Pending (1)', 'Failed (1)', 'Completed (2)', 'Stale (1)']);
    const empty = rootNodes([{ folderName: 'ws', root: '/ws', status: task([doc('x', { state: 'cancelled' })]) }]);
    assert.deepEqual(empty.map((n) => treeItemSpec(n, NOW).label), ['Running (0)', 'Pending (0)', 'Failed (0)', 'Completed (0)', 'Cancelled (1)']);
    assert.equal(treeItemSpec(empty[0]!, NOW).collapsible, 'none');
    assert.equal(treeItemSpec(empty[0]!, NOW).icon.id, 'loading', 'an empty Running group does not spin');
    assert.equal(treeItemSpec(rootNodes(folders)[0]!, NOW).icon.id, 'loading~spin');
  });

  it('lists a group sorted, with icon, description, contextValue and open path per state', () => {
    const completed = documentNodes(folders, 'completed').map((n) => treeItemSpec(n, NOW));
    assert.deepEqual(completed.map((s) => s.label), ['a.md', 'b.md']);
    const b = completed[1]!;
    assert.equal(b.description, '12 chunks · 3 layers · 1.2k tok · 4s');
    assert.deepEqual(b.icon, { id: 'pass', color: 'testing.iconPassed' });
    assert.equal(b.contextValue, 'document.completed');
    assert.equal(b.openPath, '/home/u/ws/b.md');
    assert.equal(completed[0]!.description, '1 chunk · 1 layer · 10 tok');

    const running = treeItemSpec(documentNodes(folders, 'running')[0]!, NOW);
    assert.equal(running.icon.id, 'loading~spin');
    assert.equal(running.description, '30s'); // running for 30 s at NOW

    const failed = treeItemSpec(documentNodes(folders, 'failed')[0]!, NOW);
    assert.equal(failed.contextValue, 'document.failed');
    assert.equal(failed.icon.id, 'error');
    assert.equal(failed.description, '1s · Could not parse PDF: Invalid header');
    assert.match(failed.tooltip!, /Retries: 2/);
    assert.match(failed.tooltip!, /Error: Could not parse PDF: Invalid header/);

    const changedFailure = { ...docs[3]!, stale: true };
    const changed = treeItemSpec(documentNodes([{ folderName: 'ws', root: '/ws', status: task([changedFailure]) }], 'failed')[0]!, NOW);
    assert.equal(changed.contextValue, 'document.failed', 'a failed document that changed stays retryable under Failed');
    assert.match(changed.description!, /^changed since · /);

    const stale = treeItemSpec(documentNodes(folders, 'stale')[0]!, NOW);
    assert.equal(stale.contextValue, 'document.stale');
    assert.match(stale.tooltip!, /changed since indexed/);
    assert.equal(treeItemSpec(documentNodes(folders, 'pending')[0]!, NOW).icon.id, 'circle-outline');
  });

  it('shows several workspace folders together, labelled by folder', () => {
    const two: FolderDocuments[] = [
      { folderName: 'one', root: '/r/one', status: task([doc('x.md', { state: 'completed' })]) },
      { folderName: 'two', root: '/r/two', status: task([doc('x.md', { state: 'completed' })]) },
    ];
    const specs = documentNodes(two, 'completed').map((n) => treeItemSpec(n, NOW));
    assert.deepEqual(specs.map((s) => s.label), ['one/x.md', 'two/x.md']);
    assert.notEqual(specs[0]!.id, specs[1]!.id);
    assert.equal(specs[1]!.openPath, '/r/two/x.md');
  });
});

describe('status bar text', () => {
  it('is hidden without a task', () => {
    assert.equal(statusBarView(undefined).visible, false);
    assert.equal(statusBarView(task([])).visible, false);
  });

  it('shows progress and tokens with an icon per state, and warns when documents failed', () => {
    const docs = [...Array(12)].map((_, i) => doc(`c${i}`, { state: 'completed', token_count: tok(100) }))
      .concat([...Array(28)].map((_, i) => doc(`p${i}`)));
    assert.deepEqual(
      { ...statusBarView(task(docs)), tooltip: undefined },
      { visible: true, text: '$(sync~spin) 12/40 · 1.2k tok', tooltip: undefined, warning: false },
    );
    assert.equal(statusBarView(task(docs, { status: 'paused' })).text, '$(debug-pause) 12/40 · 1.2k tok');
    const done = task([doc('a', { state: 'completed', token_count: tok(5) })], { status: 'completed' });
    assert.equal(statusBarView(done).text, '$(check) 1/1 · 5 tok');
    const failed = statusBarView(task([doc('a', { state: 'failed' }), doc('b', { state: 'completed' })], { status: 'completed' }));
    assert.equal(failed.text, '$(check) 1/2 · 1 failed');
    assert.equal(failed.warning, true);
    assert.match(failed.tooltip, /1 failed/);
  });

  it('formats token counts compactly', () => {
    assert.deepEqual([0, 999, 1000, 1234, 15_600, 999_999, 2_500_000].map(formatTokens), ['0', '999', '1k', '1.2k', '15.6k', '1M', '2.5M']);
  });
});

describe('multi-root merge', () => {
  it('sums counts, picks the state that needs attention and prefixes paths', () => {
    const merged = mergeStatuses([
      { folderName: 'a', status: task([doc('x', { state: 'completed' })], { status: 'completed' }) },
      { folderName: 'b', status: task([doc('y', { state: 'pending' })], { status: 'paused' }) },
    ])!;
    assert.equal(merged.status, 'paused');
    assert.equal(merged.total_documents, 2);
    assert.equal(merged.completed_documents, 1);
    assert.deepEqual(merged.documents.map((d) => d.path), ['a/x', 'b/y']);
    assert.equal(mergeStatuses([]), undefined);
  });
});

describe('refresh coalescer', () => {
  class FakeTimers implements CoalescerTimers {
    t = 0;
    queue: Array<{ at: number; fn: () => void; id: number }> = [];
    private ids = 0;
    now() { return this.t; }
    setTimeout(fn: () => void, ms: number) { const id = ++this.ids; this.queue.push({ at: this.t + ms, fn, id }); return id; }
    clearTimeout(h: unknown) { this.queue = this.queue.filter((q) => q.id !== h); }
    advance(ms: number) {
      const end = this.t + ms;
      for (;;) {
        const next = this.queue.filter((q) => q.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        this.queue = this.queue.filter((q) => q !== next);
        this.t = next.at;
        next.fn();
      }
      this.t = end;
    }
  }

  it('refreshes at most 4 times a second under a flood, and never loses the last change', () => {
    const timers = new FakeTimers();
    const flushedAt: number[] = [];
    const c = new RefreshCoalescer(() => flushedAt.push(timers.now()), 250, timers);
    // 500 changes a second for 2 seconds.
    for (let i = 0; i < 1000; i++) { c.request(); timers.advance(2); }
    timers.advance(1000);
    assert.ok(flushedAt.length <= 9, `flushed ${flushedAt.length} times`);
    assert.ok(flushedAt.length >= 8, `flushed only ${flushedAt.length} times`);
    for (let i = 1; i < flushedAt.length; i++) assert.ok(flushedAt[i]! - flushedAt[i - 1]! >= 250);
    assert.ok(flushedAt.at(-1)! >= 1998, 'a refresh follows the last change');
  });

  it('refreshes at once when changes are rare, and not after dispose', () => {
    const timers = new FakeTimers();
    let n = 0;
    const c = new RefreshCoalescer(() => n++, 250, timers);
    c.request();
    assert.equal(n, 1);
    timers.advance(1000);
    c.request();
    assert.equal(n, 2);
    c.request();
    c.dispose();
    timers.advance(1000);
    assert.equal(n, 2);
  });
});
