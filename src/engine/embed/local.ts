// An embedder that needs no network and no weights: signed feature hashing of word unigrams, word
// bigrams and character 3/4-grams into a fixed number of buckets. Deterministic across machines and
// versions of Node (pure integer hashing), so vectors can be cached and trees rebuilt identically.
import type { CallContext, EmbedResult, Embedder } from '../ports';
import { throwIfAborted } from '../ports';
import { COMMON_WORDS, STOPWORDS, stem, words } from './textFeatures';

export interface LocalEmbedderOptions {
  /** Number of hash buckets (vector length). */
  dimension?: number;
}

/**
 * Relative weights of the three feature families, each L2-normalised first so the many character
 * n-grams cannot drown the words. Tuned on SOTU queries (see test/unit/embed.test.ts).
 */
const WEIGHT_UNIGRAM = 1.0;
const WEIGHT_BIGRAM = 0.45;
const WEIGHT_COMMON = 0.4;
const WEIGHT_CHARGRAM = 0.5;

const SEED_UNIGRAM = 0x9e3779b1;
const SEED_BIGRAM = 0x85ebca77;
const SEED_CHAR3 = 0xc2b2ae3d;
const SEED_CHAR4 = 0x27d4eb2f;

export class LocalEmbedder implements Embedder {
  readonly id: string;
  readonly batchSize = 256;
  readonly dimension: number;

  constructor(opts: LocalEmbedderOptions = {}) {
    const dimension = opts.dimension ?? 384;
    if (!Number.isInteger(dimension) || dimension < 8 || dimension > 65536) {
      throw new RangeError(`The local embedder's dimension must be an integer from 8 to 65536, got ${dimension}.`);
    }
    this.dimension = dimension;
    this.id = `local:hash-v1:d${dimension}`;
  }

  async embed(texts: string[], ctx: CallContext): Promise<EmbedResult> {
    const vectors: Float32Array[] = [];
    for (let i = 0; i < texts.length; i++) {
      if (i % 64 === 0) throwIfAborted(ctx.signal);
      vectors.push(this.embedOne(texts[i]));
    }
    return { vectors, usage: {} }; // local: nothing billed
  }

  /** Synchronous core, for callers that embed inside a tight loop (the extractive summarizer). */
  embedOne(text: string): Float32Array {
    const dim = this.dimension;
    const uni = new Float32Array(dim);
    const bi = new Float32Array(dim);
    const chars = new Float32Array(dim);
    let prev = 0;
    let havePrev = false;
    let content = 0;
    const all = words(text);
    for (const w of all) {
      if (STOPWORDS.has(w) || w.length < 2) {
        havePrev = false; // bigrams pair adjacent content words only ("purchase of louisiana" gives none)
        continue;
      }
      content++;
      const s = stem(w);
      const h = hashString(s, SEED_UNIGRAM);
      addSpread(uni, h, dim, COMMON_WORDS.has(s) ? WEIGHT_COMMON : 1);
      if (havePrev) addSpread(bi, mix(Math.imul(prev, 0x01000193) ^ h ^ SEED_BIGRAM), dim, 1);
      prev = h;
      havePrev = true;
      addCharGrams(chars, w, dim);
    }
    if (content === 0) {
      // Only stopwords ("to be or not to be"): better to match on them than to return nothing.
      for (const w of all) {
        addSpread(uni, hashString(w, SEED_UNIGRAM), dim, 1);
        addCharGrams(chars, w, dim);
      }
    }
    const out = new Float32Array(dim);
    combine(out, uni, WEIGHT_UNIGRAM);
    combine(out, bi, WEIGHT_BIGRAM);
    combine(out, chars, WEIGHT_CHARGRAM);
    normalise(out);
    return out;
  }
}

/** Character 3- and 4-grams of "<word>", hashed straight from char codes (no substrings allocated). */
function addCharGrams(vec: Float32Array, w: string, dim: number): void {
  const n = w.length + 2;
  const code = (i: number) => (i === 0 ? 0x3c : i === n - 1 ? 0x3e : w.charCodeAt(i - 1));
  for (let i = 0; i + 3 <= n; i++) {
    let h = (SEED_CHAR3 ^ 0x811c9dc5) >>> 0;
    h = Math.imul(h ^ code(i), 0x01000193);
    h = Math.imul(h ^ code(i + 1), 0x01000193);
    h = Math.imul(h ^ code(i + 2), 0x01000193);
    add(vec, mix(h), dim);
    if (i + 4 <= n) {
      let g = (SEED_CHAR4 ^ 0x811c9dc5) >>> 0;
      g = Math.imul(g ^ code(i), 0x01000193);
      g = Math.imul(g ^ code(i + 1), 0x01000193);
      g = Math.imul(g ^ code(i + 2), 0x01000193);
      g = Math.imul(g ^ code(i + 3), 0x01000193);
      add(vec, mix(g), dim);
    }
  }
}

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser so every bit is usable for bucket and sign. */
export function hashString(s: string, seed: number): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix(h);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Signed hashing: collisions cancel out on average instead of piling up. */
function add(vec: Float32Array, h: number, dim: number): void {
  vec[(h & 0x7fffffff) % dim] += h & 0x80000000 ? -1 : 1;
}

const SPREAD = 3;
/**
 * Each word lands in SPREAD buckets (re-mixed hashes): with few buckets, two words colliding in one
 * bucket is common, and a short query whose one word collides with a chunk's would match it fully;
 * spread over several buckets, an accidental collision only shares a fraction of the weight.
 */
function addSpread(vec: Float32Array, h: number, dim: number, w: number): void {
  for (let k = 0; k < SPREAD; k++) {
    vec[(h & 0x7fffffff) % dim] += h & 0x80000000 ? -w : w;
    h = mix(h + 0x9e3779b9);
  }
}

/** Sublinear term frequency (sign · log(1+|count|)), family normalised, then weighted into out. */
function combine(out: Float32Array, family: Float32Array, weight: number): void {
  let norm = 0;
  for (let i = 0; i < family.length; i++) {
    const v = family[i];
    const t = v > 0 ? Math.log1p(v) : v < 0 ? -Math.log1p(-v) : 0;
    family[i] = t;
    norm += t * t;
  }
  if (norm === 0) return;
  const k = weight / Math.sqrt(norm);
  for (let i = 0; i < family.length; i++) out[i] += family[i] * k;
}

function normalise(v: Float32Array): void {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  if (norm === 0) return;
  const k = 1 / Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i] *= k;
}
