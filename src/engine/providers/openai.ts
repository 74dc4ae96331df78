// One implementation for every OpenAI-compatible server (OpenAI, Azure OpenAI v1, Ollama, vLLM, LM Studio,
// llama.cpp), told apart only by base URL. Each call here is ONE attempt: the client never retries on its own
// (maxRetries: 0), so every attempt passes through our shared limiter, backoff and budget (see guarded.ts).
import OpenAI from 'openai';
import type { CallContext, EmbedResult, Embedder, SummarizeRequest, SummaryResult, Summarizer } from '../ports';
import { countTokens } from '../tokenizer';
import { CHAT_FRAMING_TOKENS, DEFAULT_SUMMARY_PROMPT, formatSummaryPrompt, shortHash } from './prompt';
import { ProviderError } from './errors';
import { MalformedResponseError } from './retry';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Sent as the key to local servers that need none (the SDK refuses to start without one). */
export const PLACEHOLDER_API_KEY = 'not-needed';

export interface OpenAIConnection {
  baseUrl: string;
  /** Undefined for local servers that need none. */
  apiKey?: string;
  /** Per-attempt timeout (the retry layer enforces it too, including a stalled body). */
  timeoutMs: number;
  /**
   * Set when the connection cannot work (e.g. OpenAI without a key): every call fails with this sentence, sending
   * nothing. Checked at call time, so opening an index to read its status never fails over a missing key.
   */
  unusableBecause?: string;
}

function createClient(c: OpenAIConnection): OpenAI {
  return new OpenAI({ baseURL: c.baseUrl, apiKey: c.apiKey ?? PLACEHOLDER_API_KEY, maxRetries: 0, timeout: c.timeoutMs });
}

/** Host (and port) of the base URL: part of the provider id, so another server means another cache/config identity. */
export function baseUrlIdentity(baseUrl: string): string {
  try {
    const u = new URL(baseUrl);
    const path = u.pathname.replace(/\/+$/, '');
    return `${u.host}${path && path !== '/v1' ? path : ''}`;
  } catch {
    return baseUrl;
  }
}

export interface OpenAIChatOptions extends OpenAIConnection {
  model: string;
  /** Template with {context}; default RAPTOR's. */
  summaryPrompt?: string;
}

export class OpenAIChatSummarizer implements Summarizer {
  readonly id: string;
  readonly model: string;
  private readonly template: string;
  private readonly client: OpenAI;
  private readonly unusableBecause?: string;

  constructor(opts: OpenAIChatOptions) {
    this.model = opts.model;
    this.unusableBecause = opts.unusableBecause;
    this.template = opts.summaryPrompt ?? DEFAULT_SUMMARY_PROMPT;
    this.client = createClient(opts);
    // temperature 0, one user message: changing any of these (or the prompt) must invalidate trees and the call cache.
    this.id = `openai-chat:${opts.model}@${baseUrlIdentity(opts.baseUrl)}:prompt-${shortHash(this.template)}:t0`;
  }

  /** The exact user message a request sends (the estimator and the cache key use it too). */
  formatPrompt(req: SummarizeRequest): string {
    return formatSummaryPrompt(this.template, req.texts);
  }

  /** Prompt tokens this request will be billed, counted with cl100k plus chat framing. */
  promptTokens(req: SummarizeRequest): number {
    return countTokens(this.formatPrompt(req)) + CHAT_FRAMING_TOKENS;
  }

  async summarize(req: SummarizeRequest, ctx: CallContext): Promise<SummaryResult> {
    if (this.unusableBecause) throw new ProviderError(this.unusableBecause);
    const prompt = this.formatPrompt(req);
    const completion = await this.client.chat.completions.create(
      { model: this.model, messages: [{ role: 'user', content: prompt }], max_tokens: req.maxTokens, temperature: 0 },
      { signal: ctx.signal },
    );
    const choice = (completion as { choices?: Array<{ message?: { content?: unknown } }> } | null)?.choices?.[0];
    const text = choice?.message?.content;
    if (typeof text !== 'string') throw new MalformedResponseError('malformed response (no choices[0].message.content)');
    if (text.trim() === '') throw new MalformedResponseError('empty summary');
    const usage = completion.usage;
    return {
      text: text.trim(),
      // Some local servers report no usage: count it ourselves rather than pretend it was free.
      usage: {
        prompt: usage?.prompt_tokens ?? countTokens(prompt) + CHAT_FRAMING_TOKENS,
        completion: usage?.completion_tokens ?? countTokens(text),
      },
    };
  }
}

export interface OpenAIEmbedOptions extends OpenAIConnection {
  model: string;
  batchSize?: number;
}

export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  readonly model: string;
  readonly batchSize: number;
  private readonly client: OpenAI;
  private readonly unusableBecause?: string;

  constructor(opts: OpenAIEmbedOptions) {
    this.model = opts.model;
    this.unusableBecause = opts.unusableBecause;
    // OpenAI accepts up to 2048 inputs per call; 64 keeps one retry cheap and a request well under size limits.
    this.batchSize = opts.batchSize ?? 64;
    this.client = createClient(opts);
    this.id = `openai-embed:${opts.model}@${baseUrlIdentity(opts.baseUrl)}:float`;
  }

  /** Tokens this input will be billed (embedding APIs bill exactly the input's tokens). */
  inputTokens(texts: string[]): number {
    return texts.reduce((s, t) => s + countTokens(t), 0);
  }

  async embed(texts: string[], ctx: CallContext): Promise<EmbedResult> {
    if (texts.length === 0) return { vectors: [], usage: {} };
    if (this.unusableBecause) throw new ProviderError(this.unusableBecause);
    // encoding_format 'float': base64 (the SDK's default) is not supported by every local server.
    const res = await this.client.embeddings.create({ model: this.model, input: texts, encoding_format: 'float' }, { signal: ctx.signal });
    const data = (res as { data?: unknown } | null)?.data;
    if (!Array.isArray(data) || data.length !== texts.length) {
      throw new MalformedResponseError(
        `malformed response (${Array.isArray(data) ? `${data.length} embeddings for ${texts.length} inputs` : 'no data array'})`,
      );
    }
    const vectors: Float32Array[] = new Array(texts.length);
    let dimension = -1;
    data.forEach((item: { index?: unknown; embedding?: unknown }, i: number) => {
      const index = typeof item?.index === 'number' ? item.index : i;
      const e = item?.embedding;
      if (!Array.isArray(e) || e.length === 0 || index < 0 || index >= texts.length || vectors[index]) {
        throw new MalformedResponseError('malformed response (bad embedding item)');
      }
      if (dimension >= 0 && e.length !== dimension) throw new MalformedResponseError('malformed response (embeddings of mixed dimensions)');
      dimension = e.length;
      vectors[index] = Float32Array.from(e as number[]);
    });
    return { vectors, usage: { embedding: res.usage?.prompt_tokens ?? this.inputTokens(texts) } };
  }
}
