// The page's state: what a snapshot and the changes after it make of it, and which buttons that enables.
import { strict as assert } from 'assert';
import type { ProgressSample, TaskSummary } from '../../src/protocol/dashboard';
import {
  applyHostMessage,
  currentTiming,
  emptyModel,
  enabledActions,
  failedCount,
  formatDuration,
  upsertSamples,
} from '../../webview/dashboardModel';

const tokens = { prompt: 1, completion: 2, embedding: 3, total: 6 };

function task(over: Partial<TaskSummary> = {}): TaskSummary {
  return {
    task_id: 't',
    status: 'running',
    total_documents: 4,
    completed_documents: 1,
    failed_documents: 1,
    pending_documents: 1,
    running_documents: 1,
    cancelled_documents: 0,
    progress: 0.5,
    token_count: tokens,
    created_at: null,
    started_at: null,
    paused_at: null,
    resumed_at: null,
    completed_at: null,
    message: null,
    ...over,
  };
}

const sample = (seq: number, completed: number): ProgressSample => ({
  seq,
  t: seq * 1000,
  total: 4,
  completed,
  failed: 0,
  docsPerSecond: 1,
  tokens: { prompt: 0, completion: 0, embedding: 0 },
});

describe('dashboard page model', () => {
  it('a snapshot replaces everything; document events maintain the failed table', () => {
    const m = emptyModel();
    applyHostMessage(m, { type: 'state/snapshot', task: task(), failed: [{ path: 'b.md', error: 'boom', retryCount: 1 }], progress: null, history: [] }, 0);
    assert.deepEqual([...m.failed.keys()], ['b.md']);
    applyHostMessage(
      m,
      {
        type: 'state/event',
        events: [
          { type: 'document/state', path: 'c.md', state: 'failed', error: 'Timeout.', retryCount: 0 },
          { type: 'document/state', path: 'b.md', state: 'pending', error: null, retryCount: 1 },
          { type: 'task/state', state: 'paused', message: 'Paused by the user.' },
        ],
        samples: [],
      },
      0,
    );
    assert.deepEqual([...m.failed.keys()], ['c.md']);
    assert.equal(failedCount(m), 1, 'the table count follows the list, not the last progress count');
    assert.equal(m.task?.status, 'paused');
    assert.equal(m.task?.message, 'Paused by the user.');
  });

  it('counts failed documents beyond a capped snapshot list from the task', () => {
    const m = emptyModel();
    applyHostMessage(m, { type: 'state/snapshot', task: task({ failed_documents: 1500 }), failed: [{ path: 'b.md', error: null, retryCount: 0 }], progress: null, history: [] }, 0);
    assert.equal(failedCount(m), 1500);
  });

  it('progress events update the counts the doughnut and progress bar draw', () => {
    const m = emptyModel();
    applyHostMessage(m, { type: 'state/snapshot', task: task(), failed: [], progress: null, history: [] }, 0);
    applyHostMessage(
      m,
      {
        type: 'state/event',
        events: [
          { type: 'progress', total: 4, completed: 3, failed: 1, running: 0, pending: 0, cancelled: 0, tokens, docsPerSecond: 2, etaSeconds: 0, elapsedSeconds: 9 },
        ],
        samples: [],
      },
      5000,
    );
    assert.equal(m.task?.completed_documents, 3);
    assert.equal(m.task?.running_documents, 0);
    assert.equal(m.task?.progress, 1);
    assert.equal(m.progressReceivedAt, 5000);
  });

  it('merges history samples by seq: a repeated seq replaces the newest point, older ones are ignored', () => {
    const h = [sample(0, 0), sample(1, 1)];
    upsertSamples(h, [sample(1, 5), sample(2, 6)]);
    upsertSamples(h, [sample(0, 99)]);
    assert.deepEqual(
      h.map((s) => [s.seq, s.completed]),
      [
        [0, 0],
        [1, 5],
        [2, 6],
      ],
    );
    const m = emptyModel();
    m.history = h;
    applyHostMessage(m, { type: 'history/reset', history: [sample(7, 7)] }, 0);
    assert.deepEqual(
      m.history.map((s) => s.seq),
      [7],
    );
  });

  it('enables the buttons that make sense in each state', () => {
    const on = (t: TaskSummary | null) =>
      Object.entries(enabledActions(t))
        .filter(([, v]) => v)
        .map(([k]) => k)
        .sort();
    assert.deepEqual(on(null), []);
    assert.deepEqual(on(task({ status: 'running' })), ['cancel', 'pause', 'retryFailed']);
    assert.deepEqual(on(task({ status: 'paused', failed_documents: 0 })), ['cancel', 'resume']);
    assert.deepEqual(on(task({ status: 'completed', failed_documents: 0, pending_documents: 0, running_documents: 0 })), []);
    assert.deepEqual(on(task({ status: 'completed', failed_documents: 2, pending_documents: 0, running_documents: 0 })), ['retryFailed']);
    assert.deepEqual(on(task({ status: 'cancelled', failed_documents: 0, cancelled_documents: 3, pending_documents: 0, running_documents: 0 })), ['retryFailed']);
    assert.deepEqual(on(task({ status: 'pending', failed_documents: 0 })), ['cancel', 'resume']);
  });

  it('keeps elapsed time and ETA moving between progress events only while running', () => {
    const m = emptyModel();
    applyHostMessage(
      m,
      {
        type: 'state/snapshot',
        task: task(),
        failed: [],
        progress: { type: 'progress', total: 4, completed: 1, failed: 1, running: 1, pending: 1, cancelled: 0, tokens, docsPerSecond: 0.5, etaSeconds: 30, elapsedSeconds: 100 },
        history: [],
      },
      10_000,
    );
    assert.deepEqual(currentTiming(m, 20_000), { elapsedSeconds: 110, etaSeconds: 20, docsPerSecond: 0.5 });
    assert.equal(currentTiming(m, 100_000).etaSeconds, 0, 'the ETA does not go negative');
    m.task!.status = 'paused';
    assert.deepEqual(currentTiming(m, 20_000), { elapsedSeconds: 100, etaSeconds: null, docsPerSecond: 0.5 });
  });

  it('formats durations for people', () => {
    assert.equal(formatDuration(null), '—');
    assert.equal(formatDuration(42.4), '42 s');
    assert.equal(formatDuration(185), '3 min 05 s');
    assert.equal(formatDuration(3720), '1 h 02 min');
  });
});
