// The host's progress history: at most one point per interval, bounded, downsampled uniformly.
import { strict as assert } from 'assert';
import { ProgressHistory } from '../../src/extension/dashboard/progressHistory';
import type { ProgressEvent } from '../../src/protocol/dashboard';

function progress(completed: number, extra: Partial<ProgressEvent> = {}): ProgressEvent {
  return {
    type: 'progress',
    total: 100_000,
    completed,
    failed: 0,
    running: 1,
    pending: 100_000 - completed,
    cancelled: 0,
    tokens: { prompt: completed * 10, completion: completed, embedding: completed * 100, total: completed * 111 },
    docsPerSecond: 1,
    etaSeconds: 10,
    elapsedSeconds: completed,
    ...extra,
  };
}

describe('ProgressHistory', () => {
  it('keeps at most one point per second, holding the latest values of that second', () => {
    const h = new ProgressHistory();
    h.record(progress(1), 10_000);
    h.record(progress(2), 10_300);
    h.record(progress(3), 10_999);
    assert.equal(h.samples().length, 1);
    assert.equal(h.samples()[0]!.completed, 3, 'the point follows the newest event');
    assert.equal(h.samples()[0]!.seq, 0, 'an in-place update keeps its seq');
    h.record(progress(4), 11_000);
    assert.deepEqual(
      h.samples().map((s) => [s.seq, s.completed]),
      [
        [0, 3],
        [1, 4],
      ],
    );
    assert.equal(h.latest()?.completed, 4);
  });

  it('stays bounded and downsamples uniformly over a long run', () => {
    const h = new ProgressHistory({ maxPoints: 100 });
    for (let s = 0; s < 1000; s++) h.record(progress(s), s * 1000);
    const points = h.samples();
    assert.ok(points.length <= 100, `${points.length} points`);
    assert.ok(points.length >= 50, 'compaction halves, it does not empty');
    assert.equal(points.at(-1)!.completed, 999, 'the newest point is always kept');
    assert.ok(h.compactions > 0);
    // Uniform resolution: the gaps between points differ by at most the current interval.
    const gaps = points.slice(1).map((p, i) => p.t - points[i]!.t);
    assert.ok(Math.max(...gaps) <= h.intervalMs * 2, `gaps ${Math.min(...gaps)}..${Math.max(...gaps)} with interval ${h.intervalMs}`);
    assert.ok(h.intervalMs > 1000, 'the interval grew with the run');
    // Seqs stay increasing, so readers can merge incrementally.
    for (let i = 1; i < points.length; i++) assert.ok(points[i]!.seq > points[i - 1]!.seq);
  });

  it('never holds more than 3600 points by default over a day of events', () => {
    const h = new ProgressHistory();
    for (let s = 0; s < 86_400; s += 3) h.record(progress(s), s * 1000);
    assert.ok(h.samples().length <= 3600, `${h.samples().length}`);
    assert.ok(h.samples().length > 1000);
  });

  it('since(seq) returns the tail including an updated newest point', () => {
    const h = new ProgressHistory();
    for (let s = 0; s < 5; s++) h.record(progress(s), s * 1000);
    assert.deepEqual(
      h.since(3).map((p) => p.seq),
      [3, 4],
    );
    h.record(progress(99), 4500); // same second as seq 4: update in place
    assert.deepEqual(
      h.since(4).map((p) => [p.seq, p.completed]),
      [[4, 99]],
    );
    assert.deepEqual(h.since(10), []);
  });

  it('keeps the cumulative values of the later point of each pair', () => {
    const h = new ProgressHistory({ maxPoints: 4 });
    for (let s = 0; s < 5; s++) h.record(progress(s * 10), s * 1000);
    // 5 points > 4: keep seq 1 and 3, plus the newest (4)
    assert.deepEqual(
      h.samples().map((p) => p.completed),
      [10, 30, 40],
    );
  });
});
