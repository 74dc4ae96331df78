// The offline summarizer: picks the cluster's most central sentences (closest to what all the
// sentences share, measured with the local embedder's features) until the token budget is spent,
// and prints them in their original order. No model, no network, same output every time.
import type { CallContext, SummarizeRequest, SummaryResult, Summarizer } from '../ports';
import { throwIfAborted } from '../ports';
import { splitSentences } from '../chunk/sentences';
import { countTokensFast } from '../chunk/tokenCount';
import { LocalEmbedder } from '../embed/local';
import { words } from '../embed/textFeatures';

/** A sentence this similar to one already chosen adds nothing: skip it. */
const REDUNDANT_SIMILARITY = 0.9;
/** Sentences shorter than this many words ("Thank you.", headings) are rarely what a summary needs. */
const SHORT_SENTENCE_WORDS = 5;

interface Candidate {
  /** Position in the cluster's reading order. */
  order: number;
  text: string;
  tokens: number;
  vector: Float32Array;
  score: number;
}

export class ExtractiveSummarizer implements Summarizer {
  readonly id = 'extractive:v1';
  private readonly embedder = new LocalEmbedder();

  async summarize(req: SummarizeRequest, ctx: CallContext): Promise<SummaryResult> {
    return { text: this.summarizeSync(req, ctx.signal), usage: {} }; // local: nothing billed
  }

  summarizeSync(req: SummarizeRequest, signal?: AbortSignal): string {
    const budget = Math.floor(req.maxTokens);
    if (!(budget >= 1)) throw new RangeError(`maxTokens must be a positive integer, got ${req.maxTokens}`);
    throwIfAborted(signal);

    const seen = new Set<string>();
    const candidates: Candidate[] = [];
    for (const text of req.texts) {
      for (const span of splitSentences(text)) {
        const sentence = text.slice(span.start, span.end).replace(/\s+/g, ' ');
        if (seen.has(sentence)) continue; // clusters of overlapping summaries repeat sentences verbatim
        seen.add(sentence);
        if (candidates.length % 256 === 255) throwIfAborted(signal);
        candidates.push({
          order: candidates.length,
          text: sentence,
          tokens: countTokensFast(sentence),
          vector: this.embedder.embedOne(sentence),
          score: 0,
        });
      }
    }
    if (candidates.length === 0) return '';
    throwIfAborted(signal);

    // Centrality: similarity to the sum of all sentence vectors (= summed similarity to every sentence).
    const dim = this.embedder.dimension;
    const centroid = new Float32Array(dim);
    for (const c of candidates) for (let i = 0; i < dim; i++) centroid[i] += c.vector[i];
    for (const c of candidates) {
      c.score = dot(c.vector, centroid) / candidates.length;
      if (words(c.text).length < SHORT_SENTENCE_WORDS) c.score *= 0.5;
    }
    const ranked = [...candidates].sort((a, b) => b.score - a.score || a.order - b.order);

    const chosen: Candidate[] = [];
    let used = 0;
    for (const c of ranked) {
      // +1: the space that joins it to its neighbour may cost a token.
      const cost = c.tokens + (chosen.length ? 1 : 0);
      if (used + cost > budget) continue;
      if (chosen.some((k) => dot(k.vector, c.vector) > REDUNDANT_SIMILARITY)) continue;
      chosen.push(c);
      used += cost;
      if (used >= budget) break;
    }
    if (chosen.length === 0) return truncateToTokens(ranked[0].text, budget);

    chosen.sort((a, b) => a.order - b.order);
    let summary = chosen.map((c) => c.text).join(' ');
    // The per-sentence sum is an upper bound in practice; make the promise exact anyway.
    while (countTokensFast(summary) > budget && chosen.length > 1) {
      const weakest = chosen.reduce((w, c) => (c.score < w.score ? c : w));
      chosen.splice(chosen.indexOf(weakest), 1);
      summary = chosen.map((c) => c.text).join(' ');
    }
    return countTokensFast(summary) > budget ? truncateToTokens(summary, budget) : summary;
  }
}

/** The longest word-boundary prefix within the budget; characters only when one word is too long. */
export function truncateToTokens(text: string, budget: number): string {
  if (countTokensFast(text) <= budget) return text;
  const ends: number[] = [];
  for (const m of text.matchAll(/\S+/g)) ends.push(m.index! + m[0].length);
  let lo = 0;
  let hi = ends.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (countTokensFast(text.slice(0, ends[mid])) <= budget) lo = mid;
    else hi = mid - 1;
  }
  const byWords = text.slice(0, ends[lo]);
  if (countTokensFast(byWords) <= budget) return byWords;
  let end = Math.min(text.length, budget); // a token is at least one character
  while (end > 1 && countTokensFast(text.slice(0, end)) > budget) end--;
  if (end > 1 && /[\ud800-\udbff]/.test(text[end - 1])) end--;
  return text.slice(0, end);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
