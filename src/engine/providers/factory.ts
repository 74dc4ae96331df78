// Builds the task's embedder and summarizer from its config. Remote providers share ONE limiter and ONE budget,
// so every document in flight draws on the same requests/minute, tokens/minute, in-flight slots and tokens.
import { type IndexConfig, ConfigError } from '../config';
import { LocalEmbedder } from '../embed/local';
import type { CallCache, Clock, Embedder, Summarizer } from '../ports';
import { systemClock } from '../ports';
import { ExtractiveSummarizer } from '../summarize/extractive';
import { TokenBudget } from './budget';
import { ProviderError } from './errors';
import { CachingEmbedder, CachingSummarizer } from './cache';
import { type CallPolicy, GuardedEmbedder, GuardedSummarizer, type ProviderLog } from './guarded';
import { RequestLimiter } from './limiter';
import { OPENAI_DEFAULT_BASE_URL, OpenAIChatSummarizer, OpenAIEmbedder } from './openai';
import { countTokens } from '../tokenizer';
import { CHAT_FRAMING_TOKENS, DEFAULT_SUMMARY_PROMPT, formatSummaryPrompt, shortHash } from './prompt';
import { DEFAULT_RETRY_BACKOFF, type RetryPolicy } from './retry';
import { EstimateTally, EstimatingEmbedder, EstimatingSummarizer } from './estimate';

export interface ProviderDeps {
  /** Durable cache of paid calls (the checkpoint store). Without it nothing is cached. */
  cache?: CallCache;
  /** Where the API key and OPENAI_BASE_URL are read. */
  env: Record<string, string | undefined>;
  clock?: Clock;
  log?: ProviderLog;
  /** Tokens the task has already used (so a resumed task keeps its budget). */
  tokensUsed?: number;
  /** Backoff between attempts; tests shorten it. */
  retryBackoff?: { baseDelayMs: number; maxDelayMs: number };
  /** Jitter source; tests pin it. */
  random?: () => number;
  /** For `vscode-lm:*`: the summarizer the extension host serves (raw; budget, cache and limits are added here). */
  hostSummarizer?: Summarizer;
}

function unavailableHostSummarizer(setting: string): Summarizer {
  return {
    id: setting,
    summarize: () => Promise.reject(new ProviderError(`The ${setting} summarizer runs only inside VS Code; use extractive or openai:MODEL here.`)),
  };
}

export interface Providers {
  embedder: Embedder;
  summarizer: Summarizer;
  /** Present when config.provider.tokenBudget is set; raise it with budget.setLimit() before resuming. */
  budget?: TokenBudget;
  /** Present when a remote provider is used; shared by all of them. */
  limiter?: RequestLimiter;
}

const OPENAI_HOSTS = /(^|\.)openai\.com$|(^|\.)openai\.azure\.com$/i;

/** Where the OpenAI-compatible server is: setting, then OPENAI_BASE_URL, then OpenAI's. */
export function resolveBaseUrl(config: IndexConfig, env: Record<string, string | undefined>): string {
  const fromEnv = env.OPENAI_BASE_URL?.trim();
  return config.provider.baseUrl ?? (fromEnv ? fromEnv : OPENAI_DEFAULT_BASE_URL);
}

interface ApiKey {
  key?: string;
  /** Why remote calls cannot work (OpenAI itself without a key); reported at call time. */
  unusableBecause?: string;
}

function resolveApiKey(config: IndexConfig, baseUrl: string, env: Record<string, string | undefined>, log?: ProviderLog): ApiKey {
  const name = config.provider.apiKeyEnv;
  const key = env[name]?.trim();
  if (key) return { key };
  let host = '';
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    throw new ConfigError(`The provider base URL "${baseUrl}" is not a valid URL.`);
  }
  if (OPENAI_HOSTS.test(host)) {
    return {
      unusableBecause: `${name} is not set: set it to your API key, or point raptor.provider.baseUrl at a local OpenAI-compatible server.`,
    };
  }
  log?.('info', `No API key in ${name}; sending a placeholder key to ${host} (fine for local servers such as Ollama or vLLM).`);
  return {};
}

/** Whether the config calls an OpenAI-compatible server (which gets the API key) for summaries or embeddings. */
export function usesOpenAIServer(config: IndexConfig): boolean {
  return config.summarizer.startsWith('openai:') || config.embedder.startsWith('openai:');
}

/** One sentence when remote providers are configured but cannot work (a missing key); null when fine. Lets the CLI fail fast. */
export function providerConfigProblem(config: IndexConfig, env: Record<string, string | undefined>): string | null {
  if (!usesOpenAIServer(config)) return null;
  try {
    return resolveApiKey(config, resolveBaseUrl(config, env), env).unusableBecause ?? null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function modelOf(setting: string, prefix: string): string | undefined {
  return setting.startsWith(prefix) ? setting.slice(prefix.length).trim() || undefined : undefined;
}

export function createProviders(config: IndexConfig, deps: ProviderDeps): Providers {
  const clock = deps.clock ?? systemClock;
  const p = config.provider;
  const budget = p.tokenBudget !== undefined ? new TokenBudget(p.tokenBudget, deps.tokensUsed ?? 0) : undefined;
  const chatModel = modelOf(config.summarizer, 'openai:');
  const embedModel = modelOf(config.embedder, 'openai:');
  const remote = chatModel !== undefined || embedModel !== undefined;
  const limiter = remote || config.summarizer.startsWith('vscode-lm:')
    ? new RequestLimiter({ requestsPerMinute: p.requestsPerMinute, tokensPerMinute: p.tokensPerMinute, maxInFlight: p.maxInFlight }, clock)
    : undefined;
  const retry: RetryPolicy = {
    maxAttempts: p.maxAttempts,
    ...(deps.retryBackoff ?? DEFAULT_RETRY_BACKOFF),
    attemptTimeoutMs: p.timeoutMs,
    clock,
    random: deps.random,
  };
  const baseUrl = remote ? resolveBaseUrl(config, deps.env) : '';
  const { key: apiKey, unusableBecause } = remote ? resolveApiKey(config, baseUrl, deps.env, deps.log) : ({} as ApiKey);
  const policy = (label: string): CallPolicy => ({ label, retry, limiter, budget, log: deps.log });

  let embedder: Embedder;
  if (config.embedder === 'local') embedder = new LocalEmbedder();
  else if (embedModel !== undefined) {
    const raw = new OpenAIEmbedder({ model: embedModel, baseUrl, apiKey, unusableBecause, timeoutMs: p.timeoutMs });
    embedder = new GuardedEmbedder(raw, policy(`openai:${embedModel}`));
    if (deps.cache) embedder = new CachingEmbedder(embedder, deps.cache);
  } else throw new ConfigError(`Unknown embedder "${config.embedder}": use local or openai:MODEL.`);

  let summarizer: Summarizer;
  if (config.summarizer === 'extractive') summarizer = new ExtractiveSummarizer();
  else if (chatModel !== undefined) {
    const raw = new OpenAIChatSummarizer({
      model: chatModel,
      baseUrl,
      apiKey,
      unusableBecause,
      timeoutMs: p.timeoutMs,
      summaryPrompt: p.summaryPrompt,
    });
    const guarded = new GuardedSummarizer(raw, policy(`openai:${chatModel}`));
    summarizer = deps.cache ? new CachingSummarizer(guarded, deps.cache) : guarded;
  } else if (config.summarizer.startsWith('vscode-lm:')) {
    // Served by the extension host through the worker channel; same budget, cache and in-flight cap as OpenAI.
    const inner = deps.hostSummarizer ?? unavailableHostSummarizer(config.summarizer);
    summarizer = wrapHostSummarizer(inner, config, { cache: deps.cache, log: deps.log, clock, budget, limiter });
  } else throw new ConfigError(`Unknown summarizer "${config.summarizer}": use extractive or openai:MODEL.`);

  return { embedder, summarizer, budget, limiter };
}

/**
 * For a summarizer served by the host (vscode-lm through the worker channel): the same budget and call cache as
 * the OpenAI path, one attempt per call (the host adapter maps its own errors), at most maxInFlight at once.
 */
export function wrapHostSummarizer(
  inner: Summarizer,
  config: IndexConfig,
  deps: Pick<ProviderDeps, 'cache' | 'log' | 'clock'> & { budget?: TokenBudget; limiter?: RequestLimiter },
): Summarizer {
  const template = config.provider.summaryPrompt ?? DEFAULT_SUMMARY_PROMPT;
  const single = {
    // The host's id names the model; the prompt is ours, and changing it must change the identity too.
    id: `${inner.id}:prompt-${shortHash(template)}`,
    summarize: inner.summarize.bind(inner),
    formatPrompt: (req: { texts: string[] }) => formatSummaryPrompt(template, req.texts),
    promptTokens: (req: { texts: string[] }) => countTokens(formatSummaryPrompt(template, req.texts)) + CHAT_FRAMING_TOKENS,
  };
  const limiter = deps.limiter ?? new RequestLimiter({ maxInFlight: config.provider.maxInFlight }, deps.clock);
  const guarded = new GuardedSummarizer(single, {
    label: config.summarizer,
    retry: { maxAttempts: 1, ...DEFAULT_RETRY_BACKOFF, attemptTimeoutMs: config.provider.timeoutMs, clock: deps.clock },
    limiter,
    budget: deps.budget,
    log: deps.log,
  });
  return deps.cache ? new CachingSummarizer(guarded, deps.cache) : guarded;
}

/**
 * Providers for `--dry-run`: local ones as they are (free), remote ones replaced by estimators that count what a
 * real run would send (see estimate.ts). Never touches the network and needs no API key.
 */
export function createDryRunProviders(
  config: IndexConfig,
  deps: Pick<ProviderDeps, 'env' | 'cache'>,
): { embedder: Embedder; summarizer: Summarizer; tally: EstimateTally } {
  const tally = new EstimateTally();
  const chatModel = modelOf(config.summarizer, 'openai:');
  const embedModel = modelOf(config.embedder, 'openai:');
  const baseUrl = resolveBaseUrl(config, deps.env);
  const local = new LocalEmbedder();
  const timeoutMs = config.provider.timeoutMs;
  let embedder: Embedder;
  if (config.embedder === 'local') embedder = local;
  else if (embedModel !== undefined) {
    embedder = new EstimatingEmbedder(new OpenAIEmbedder({ model: embedModel, baseUrl, timeoutMs }), local, tally, deps.cache);
  } else throw new ConfigError(`Unknown embedder "${config.embedder}": use local or openai:MODEL.`);
  let summarizer: Summarizer;
  if (config.summarizer === 'extractive') summarizer = new ExtractiveSummarizer();
  else if (chatModel !== undefined) {
    const real = new OpenAIChatSummarizer({ model: chatModel, baseUrl, timeoutMs, summaryPrompt: config.provider.summaryPrompt });
    summarizer = new EstimatingSummarizer(real, tally, deps.cache);
  } else if (config.summarizer.startsWith('vscode-lm:')) {
    const template = config.provider.summaryPrompt ?? DEFAULT_SUMMARY_PROMPT;
    const id = `${config.summarizer}:prompt-${shortHash(template)}`; // as wrapHostSummarizer names it
    summarizer = new EstimatingSummarizer({ id, formatPrompt: (r) => formatSummaryPrompt(template, r.texts) }, tally, deps.cache);
  } else throw new ConfigError(`Unknown summarizer "${config.summarizer}": use extractive or openai:MODEL.`);
  return { embedder, summarizer, tally };
}
