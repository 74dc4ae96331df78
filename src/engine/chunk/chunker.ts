// Leaf chunks as RAPTOR makes them: whole sentences packed greedily up to a token limit, a sentence
// longer than the limit split at word boundaries. Each sentence is tokenised once and the counts are
// summed (re-encoding packed chunks would double the cost on large corpora), with the memoised counter.
import type { Chunk, ParsedDocument } from '../types';
import { countTokensFast as countTokens } from './tokenCount';
import { splitSentences, type Span } from './sentences';

export interface ChunkOptions {
  /** Upper bound of one chunk, in cl100k tokens. */
  chunkTokens: number;
}

interface Piece extends Span {
  /** Tokens of the piece alone (when it opens a chunk). */
  tokens: number;
  /** Tokens of the piece including the whitespace before it (when it extends a chunk); equal to tokens for the first. */
  tokensAfterGap: number;
}

export function chunkDocument(doc: ParsedDocument, opts: ChunkOptions): Chunk[] {
  const limit = Math.floor(opts.chunkTokens);
  if (!(limit >= 1)) throw new RangeError(`chunkTokens must be a positive integer, got ${opts.chunkTokens}`);
  const text = doc.text;
  const pieces: Piece[] = [];
  let prevEnd = 0;
  for (const s of splitSentences(text)) {
    const tokens = countTokens(text.slice(s.start, s.end));
    const parts = tokens <= limit ? [{ ...s, tokens }] : splitLongSpan(text, s, limit);
    for (const p of parts) {
      // Counted again with the whitespace before it, exactly as it is tokenised inside a chunk
      // (" Louisiana" and "Louisiana" need not cost the same); memoised, so cheap.
      pieces.push({ ...p, tokensAfterGap: p.start === prevEnd ? p.tokens : countTokens(text.slice(prevEnd, p.end)) });
      prevEnd = p.end;
    }
  }

  const chunks: Chunk[] = [];
  const locate = makeLocator(text, doc.pageStarts);
  let open: { start: number; end: number; tokens: number } | undefined;
  const close = () => {
    if (!open) return;
    chunks.push({ index: chunks.length, text: text.slice(open.start, open.end), tokens: open.tokens, start: open.start, end: open.end, ...locate(open.start, open.end) });
    open = undefined;
  };
  for (const p of pieces) {
    if (open && open.tokens + p.tokensAfterGap <= limit) {
      open.end = p.end;
      open.tokens += p.tokensAfterGap;
    } else {
      close();
      open = { start: p.start, end: p.end, tokens: p.tokens };
    }
  }
  close();
  return chunks;
}

/** Splits an over-long sentence at word boundaries (inside a word only when one word alone is over the limit). */
function splitLongSpan(text: string, span: Span, limit: number): Array<Span & { tokens: number }> {
  const out: Array<Span & { tokens: number }> = [];
  const words: Span[] = [];
  const re = /\S+/g;
  const body = text.slice(span.start, span.end);
  for (let m = re.exec(body); m; m = re.exec(body)) words.push({ start: span.start + m.index, end: span.start + m.index + m[0].length });

  let cur: (Span & { tokens: number }) | undefined;
  for (const w of words) {
    const alone = countTokens(text.slice(w.start, w.end));
    if (alone > limit) {
      if (cur) out.push(cur);
      cur = undefined;
      out.push(...splitWord(text, w, limit));
      continue;
    }
    if (cur) {
      // Count the word with its leading whitespace, as it would be tokenised inside the chunk.
      const joined = countTokens(text.slice(cur.end, w.end));
      if (cur.tokens + joined <= limit) {
        cur.end = w.end;
        cur.tokens += joined;
        continue;
      }
      out.push(cur);
    }
    cur = { start: w.start, end: w.end, tokens: alone };
  }
  if (cur) out.push(cur);
  return out;
}

/** Last resort for a "word" over the limit (a URL, base64, a long CJK run): cut by characters. */
function splitWord(text: string, w: Span, limit: number): Array<Span & { tokens: number }> {
  const out: Array<Span & { tokens: number }> = [];
  let start = w.start;
  while (start < w.end) {
    // Grow a guess until it overflows, then binary-search the largest prefix that fits.
    let lo = start + 1;
    let hi = Math.min(w.end, start + limit * 2);
    while (hi < w.end && countTokens(text.slice(start, hi)) <= limit) hi = Math.min(w.end, start + (hi - start) * 2);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (countTokens(text.slice(start, mid)) <= limit) lo = mid;
      else hi = mid - 1;
    }
    let end = lo;
    // Never cut a surrogate pair in half.
    if (end < w.end && end > start + 1 && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    out.push({ start, end, tokens: countTokens(text.slice(start, end)) });
    start = end;
  }
  return out;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** Lines and pages of successive chunks, found in one forward pass (chunks arrive in order). */
function makeLocator(text: string, pageStarts: number[] | undefined) {
  let pos = 0;
  let line = 1;
  let page = 0;
  const advance = (to: number) => {
    for (let i = text.indexOf('\n', pos); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) line++;
    pos = to;
    return line;
  };
  return (start: number, end: number): { lineStart: number; lineEnd: number; page?: number } => {
    const lineStart = advance(start);
    const lineEnd = advance(end);
    if (!pageStarts?.length) return { lineStart, lineEnd };
    while (page + 1 < pageStarts.length && pageStarts[page + 1] <= start) page++;
    return { lineStart, lineEnd, page: page + 1 };
  };
}
