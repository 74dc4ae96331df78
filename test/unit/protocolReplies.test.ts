// Replies are matched to requests by id; every way a request ends clears it.
import { strict as assert } from 'assert';
import type { PageRequest } from '../../src/protocol/dashboard';
import { PendingReplies, RequestFailedError } from '../../src/protocol/pendingReplies';
import { ManualTimers } from '../support/manualTimers';


function setup(post?: (m: PageRequest) => void) {
  const sent: PageRequest[] = [];
  const timers = new ManualTimers();
  const replies = new PendingReplies(post ?? ((m) => sent.push(m)), 1000, timers);
  return { sent, timers, replies };
}

describe('PendingReplies', () => {
  it('gives each request a fresh id and resolves it on an ok reply', async () => {
    const { sent, timers, replies } = setup();
    const a = replies.request({ type: 'task/pause' });
    const b = replies.request({ type: 'document/retry', path: 'a.md' });
    assert.deepEqual(
      sent.map((m) => m.type),
      ['task/pause', 'document/retry'],
    );
    assert.notEqual(sent[0]!.id, sent[1]!.id);
    assert.deepEqual(sent[1], { type: 'document/retry', path: 'a.md', id: sent[1]!.id });
    assert.ok(replies.onReply({ type: 'reply', id: sent[1]!.id, ok: true }));
    await b;
    assert.equal(replies.size, 1, 'only the answered request is cleared');
    assert.ok(replies.onReply({ type: 'reply', id: sent[0]!.id, ok: true }));
    await a;
    assert.equal(replies.size, 0);
    assert.equal(timers.pending.size, 0, 'timeouts are cleared with their request');
  });

  it('rejects with the host sentence on a failed reply, and clears it', async () => {
    const { sent, timers, replies } = setup();
    const p = replies.request({ type: 'document/open', path: 'x.md' });
    replies.onReply({ type: 'reply', id: sent[0]!.id, ok: false, error: 'That file is not a document of this index.' });
    await assert.rejects(p, (e: unknown) => e instanceof RequestFailedError && /not a document/.test(e.message));
    assert.equal(replies.size, 0);
    assert.equal(timers.pending.size, 0);
  });

  it('rejects on timeout and ignores the late reply', async () => {
    const { sent, timers, replies } = setup();
    const p = replies.request({ type: 'task/cancel' });
    timers.fireAll();
    await assert.rejects(p, /did not answer in time/);
    assert.equal(replies.size, 0);
    assert.equal(replies.onReply({ type: 'reply', id: sent[0]!.id, ok: true }), false);
  });

  it('rejects and clears when posting throws', async () => {
    const { timers, replies } = setup(() => {
      throw new Error('webview disposed');
    });
    await assert.rejects(replies.request({ type: 'task/resume' }), /Could not send the request: webview disposed/);
    assert.equal(replies.size, 0);
    assert.equal(timers.pending.size, 0);
  });

  it('ignores replies nobody waits for (unknown or duplicate ids)', async () => {
    const { sent, replies } = setup();
    const p = replies.request({ type: 'task/pause' });
    assert.equal(replies.onReply({ type: 'reply', id: 999, ok: true }), false);
    assert.equal(replies.size, 1);
    assert.ok(replies.onReply({ type: 'reply', id: sent[0]!.id, ok: true }));
    assert.equal(replies.onReply({ type: 'reply', id: sent[0]!.id, ok: false, error: 'late' }), false);
    await p;
  });

  it('dispose rejects everything still waiting', async () => {
    const { timers, replies } = setup();
    const all = [replies.request({ type: 'task/pause' }), replies.request({ type: 'task/retryFailed' })];
    replies.dispose();
    for (const p of all) await assert.rejects(p, /closed/);
    assert.equal(replies.size, 0);
    assert.equal(timers.pending.size, 0);
  });
});
