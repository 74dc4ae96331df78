// Test doubles for the engine's ports, and small helpers shared by the engine tests.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AbortError, type CallContext, type EmbedResult, type Embedder, type SummarizeRequest, type SummaryResult, type Summarizer } from '../../src/engine/ports';
import { countTokens } from '../../src/engine/tokenizer';

export const SOTU_DIR = path.join(__dirname, '..', '..', 'node_modules', '@stdlib', 'datasets-sotu', 'data');

export function sotuFiles(): string[] {
  return fs.readdirSync(SOTU_DIR).filter((f) => f.endsWith('.txt')).sort();
}

/** A fresh temporary folder holding the given SOTU addresses (by file name) and extra files. */
export function makeCorpus(addresses: string[], extra: Record<string, string | Buffer> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raptor-test-'));
  for (const a of addresses) fs.copyFileSync(path.join(SOTU_DIR, a), path.join(dir, a));
  for (const [name, content] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** The shortest addresses first: fast fixtures that are still real text. */
export function shortestAddresses(n: number): string[] {
  return sotuFiles()
    .map((f) => ({ f, size: fs.statSync(path.join(SOTU_DIR, f)).size }))
    .sort((a, b) => a.size - b.size || (a.f < b.f ? -1 : 1))
    .slice(0, n)
    .map((x) => x.f)
    .sort();
}

/**
 * A deterministic "LLM": the summary is the first words of the cluster's text; it reports usage like a provider
 * (prompt = tokens of the input, completion = tokens of the output), can fail on demand and can be held open.
 */
export class FakeSummarizer implements Summarizer {
  readonly id = 'fake-llm:v1';
  calls = 0;
  prompts: string[] = [];
  usage = { prompt: 0, completion: 0 };
  /** Throw this error for texts matching. */
  failWhen: ((texts: string[]) => Error | undefined) | undefined;
  /** Called before answering; may await (to hold the call open until aborted). */
  beforeAnswer: ((ctx: CallContext, callNo: number) => Promise<void> | void) | undefined;

  async summarize(req: SummarizeRequest, ctx: CallContext): Promise<SummaryResult> {
    if (ctx.signal.aborted) throw new AbortError();
    const callNo = ++this.calls;
    await this.beforeAnswer?.(ctx, callNo);
    if (ctx.signal.aborted) throw new AbortError();
    const err = this.failWhen?.(req.texts);
    if (err) throw err;
    const input = req.texts.join('\n\n');
    this.prompts.push(input);
    const words = input.split(/\s+/).filter(Boolean).slice(0, Math.max(8, Math.floor(req.maxTokens / 2)));
    const text = words.join(' ');
    const usage = { prompt: countTokens(input), completion: countTokens(text) };
    this.usage.prompt += usage.prompt;
    this.usage.completion += usage.completion;
    return { text, usage };
  }
}

/** Wraps an embedder, counting calls and texts, and reporting embedding tokens like a paid provider. */
export class CountingEmbedder implements Embedder {
  calls = 0;
  texts = 0;
  tokens = 0;
  readonly id: string;
  readonly batchSize: number;
  constructor(private readonly inner: Embedder, private readonly reportTokens = true) {
    this.id = inner.id;
    this.batchSize = inner.batchSize;
  }
  async embed(texts: string[], ctx: CallContext): Promise<EmbedResult> {
    this.calls++;
    this.texts += texts.length;
    const r = await this.inner.embed(texts, ctx);
    if (!this.reportTokens) return r;
    const t = texts.reduce((s, x) => s + countTokens(x), 0);
    this.tokens += t;
    return { ...r, usage: { embedding: t } };
  }
}

export function rmrf(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
