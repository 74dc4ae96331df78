// The dashboard's message schemas: what the page may send the host, and what the host sends the page.
import { strict as assert } from 'assert';
import {
  MAX_PATH_LENGTH,
  describeInvalid,
  hostToPageMessageSchema,
  pageStateSchema,
  pageToHostMessageSchema,
  type HostToPageMessage,
} from '../../src/protocol/dashboard';

const accepts = (m: unknown) => pageToHostMessageSchema.safeParse(m).success;

const tokens = { prompt: 10, completion: 5, embedding: 100, total: 115 };
const task = {
  task_id: 't1',
  status: 'running',
  total_documents: 3,
  completed_documents: 1,
  failed_documents: 1,
  pending_documents: 1,
  running_documents: 0,
  cancelled_documents: 0,
  progress: 0.66,
  token_count: tokens,
  created_at: '2025-01-01T00:00:00.000Z',
  started_at: null,
  paused_at: null,
  resumed_at: null,
  completed_at: null,
  message: null,
};
const progress = {
  type: 'progress',
  total: 3,
  completed: 1,
  failed: 1,
  running: 0,
  pending: 1,
  cancelled: 0,
  tokens,
  docsPerSecond: 0.5,
  etaSeconds: 2,
  elapsedSeconds: 4,
};
const sample = { seq: 0, t: 1_700_000_000_000, total: 3, completed: 1, failed: 1, docsPerSecond: 0.5, tokens: { prompt: 1, completion: 2, embedding: 3 } };

describe('dashboard protocol: page → host', () => {
  it('accepts every well-formed message', () => {
    for (const m of [
      { type: 'webview/ready' },
      { type: 'task/pause', id: 1 },
      { type: 'task/resume', id: 2 },
      { type: 'task/cancel', id: 3 },
      { type: 'task/retryFailed', id: 4 },
      { type: 'document/retry', id: 5, path: 'docs/a.md' },
      { type: 'document/open', id: 6, path: 'notes/2024 report..final.pdf' },
    ]) {
      assert.ok(accepts(m), JSON.stringify(m));
    }
  });

  it('rejects unknown types and non-objects', () => {
    for (const m of [{ type: 'task/delete', id: 1 }, { type: 'state/snapshot' }, {}, null, 'task/pause', 42, []]) {
      assert.equal(accepts(m), false, JSON.stringify(m));
    }
  });

  it('rejects wrong field types', () => {
    for (const m of [
      { type: 'task/pause', id: '1' },
      { type: 'task/pause', id: -1 },
      { type: 'task/pause', id: 1.5 },
      { type: 'task/pause' },
      { type: 'document/retry', id: 1, path: 7 },
      { type: 'document/retry', id: 1 },
      { type: 'document/open', id: 1, path: '' },
    ]) {
      assert.equal(accepts(m), false, JSON.stringify(m));
    }
  });

  it('rejects extra fields (the page cannot smuggle options to the host)', () => {
    assert.equal(accepts({ type: 'webview/ready', debug: true }), false);
    assert.equal(accepts({ type: 'task/cancel', id: 1, force: true }), false);
    assert.equal(accepts({ type: 'document/open', id: 1, path: 'a.md', line: 3 }), false);
  });

  it('rejects huge strings', () => {
    assert.equal(accepts({ type: 'document/open', id: 1, path: 'a'.repeat(MAX_PATH_LENGTH + 1) }), false);
    assert.ok(accepts({ type: 'document/open', id: 1, path: 'a'.repeat(MAX_PATH_LENGTH) }));
  });

  it('rejects paths that can never be documents of the index (traversal, absolute, NUL)', () => {
    for (const path of ['../secret.txt', 'docs/../../etc/passwd', '..', '/etc/passwd', '\\\\server\\share', 'C:\\Windows\\win.ini', 'c:/x', 'a\0b', 'docs\\..\\..\\x']) {
      assert.equal(accepts({ type: 'document/open', id: 1, path }), false, path);
      assert.equal(accepts({ type: 'document/retry', id: 1, path }), false, path);
    }
  });

  it('describes a rejection without echoing the message', () => {
    const raw = { type: 'document/open', id: 1, path: 'x'.repeat(100_000) };
    const result = pageToHostMessageSchema.safeParse(raw);
    assert.equal(result.success, false);
    const line = describeInvalid(raw, result.error!);
    assert.match(line, /document\/open/);
    assert.ok(line.length < 300, line);
  });
});

describe('dashboard protocol: host → page', () => {
  const accept = (m: unknown) => hostToPageMessageSchema.safeParse(m).success;

  it('accepts a snapshot, events, history reset, focus and replies', () => {
    const good: HostToPageMessage[] = [
      { type: 'state/snapshot', task: task as never, failed: [{ path: 'a.md', error: 'boom', retryCount: 2 }], progress: progress as never, history: [sample] },
      { type: 'state/snapshot', task: null, failed: [], progress: null, history: [] },
      {
        type: 'state/event',
        events: [
          { type: 'task/state', state: 'paused', message: 'Paused by the user.' },
          { type: 'document/state', path: 'a.md', state: 'failed', error: 'x', retryCount: 1 },
          progress as never,
        ],
        samples: [sample],
      },
      { type: 'history/reset', history: [sample, { ...sample, seq: 1, t: sample.t + 2000 }] },
      { type: 'view/focusDocument', path: 'a.md', document: null },
      { type: 'reply', id: 3, ok: true },
      { type: 'reply', id: 4, ok: false, error: 'No index is open.' },
    ];
    for (const m of good) assert.ok(accept(m), JSON.stringify(m).slice(0, 200));
  });

  it('keeps engine data forward-compatible (unknown fields inside status are stripped, not fatal)', () => {
    const parsed = hostToPageMessageSchema.safeParse({
      type: 'state/snapshot',
      task: { ...task, some_future_field: 1 },
      failed: [],
      progress: null,
      history: [],
    });
    assert.ok(parsed.success);
    assert.ok(parsed.data.type === 'state/snapshot' && parsed.data.task && !('some_future_field' in parsed.data.task));
  });

  it('rejects malformed host messages', () => {
    for (const m of [
      { type: 'state/snapshot', task: null, failed: [], progress: null }, // no history
      { type: 'state/snapshot', task: { ...task, status: 'exploded' }, failed: [], progress: null, history: [] },
      { type: 'state/snapshot', task: { ...task, progress: 2 }, failed: [], progress: null, history: [] },
      { type: 'state/event', events: [{ type: 'log', level: 'info', message: 'hi' }], samples: [] },
      { type: 'state/event', events: [], samples: [], extra: 1 },
      { type: 'state/event', events: [{ type: 'document/state', path: 'a', state: 'failed', error: 'e'.repeat(5000), retryCount: 0 }], samples: [] },
      { type: 'reply', id: 'x', ok: true },
      { type: 'reply', id: 1 },
      { type: 'history/reset', history: Array.from({ length: 4000 }, (_, i) => ({ ...sample, seq: i })) },
      { type: 'state/patch' },
    ]) {
      assert.equal(accept(m), false, JSON.stringify(m).slice(0, 200));
    }
  });

  it('page state handed to the serializer is validated too', () => {
    assert.ok(pageStateSchema.safeParse({ focusPath: 'a.md' }).success);
    assert.ok(pageStateSchema.safeParse({}).success);
    assert.equal(pageStateSchema.safeParse({ focusPath: 5 }).success, false);
    assert.equal(pageStateSchema.safeParse(undefined).success, false);
  });
});
