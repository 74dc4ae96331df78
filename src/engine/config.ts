// Every setting the engine takes, validated with zod at the boundary (CLI flags, VS Code settings, worker messages).
import { z } from 'zod';

export const DEFAULT_INCLUDE = ['**/*.{md,markdown,txt,rst,html,htm,pdf,docx}'];

/** Options of the remote providers (OpenAI-compatible). Keys are never here: only the name of the env var holding one. */
export const ProviderConfigSchema = z
  .object({
    /** Base URL of an OpenAI-compatible server; falls back to OPENAI_BASE_URL, then OpenAI's. */
    baseUrl: z.string().url().optional(),
    /** Name of the environment variable that holds the API key. */
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').default('OPENAI_API_KEY'),
    requestsPerMinute: z.number().positive().optional(),
    tokensPerMinute: z.number().positive().optional(),
    /** Requests in flight at once, across all documents. */
    maxInFlight: z.number().int().min(1).max(256).default(8),
    /** Per-attempt timeout. */
    timeoutMs: z.number().int().min(100).max(600_000).default(60_000),
    /** Attempts per request (first try included) before the request fails its document. */
    maxAttempts: z.number().int().min(1).max(20).default(6),
    /** Prompt for summaries; {context} is replaced by the cluster's texts. */
    summaryPrompt: z.string().min(1).optional(),
    /** Optional token limit for the whole task; the task pauses itself before exceeding it. */
    tokenBudget: z.number().int().positive().optional(),
  })
  .strict();
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;

export const IndexConfigSchema = z
  .object({
    include: z.array(z.string().min(1)).min(1).default(DEFAULT_INCLUDE),
    exclude: z.array(z.string().min(1)).default([]),
    /** Leaf chunk size in tokens (the RAPTOR paper uses 100). */
    chunkTokens: z.number().int().min(16).max(8192).default(100),
    /** Documents in flight at once. */
    concurrency: z.number().int().min(1).max(64).default(2),
    /** Automatic retries of a failed document (after its first attempt). */
    maxRetries: z.number().int().min(0).max(20).default(3),
    /** Base delay of the exponential backoff between document retries. */
    retryBaseMs: z.number().int().min(0).max(600_000).default(1000),
    /** false: run the same pipeline without persisting per-document progress (the legacy switch). */
    checkpoints: z.boolean().default(true),
    /** `extractive` (default, offline) or `openai:MODEL`. */
    summarizer: z.string().regex(/^(extractive|openai:.+|vscode-lm:.*)$/, 'must be extractive or openai:MODEL').default('extractive'),
    /** `local` (default, offline) or `openai:MODEL`. */
    embedder: z.string().regex(/^(local|openai:.+)$/, 'must be local or openai:MODEL').default('local'),
    /** Upper bound of one summary, in tokens. */
    summaryMaxTokens: z.number().int().min(16).max(4096).default(120),
    /** Upper bound on a cluster's text sent to the summarizer; bigger clusters are re-clustered. */
    clusterMaxTokens: z.number().int().min(200).max(200_000).default(3500),
    /** Maximum number of layers above the leaves. */
    maxLayers: z.number().int().min(1).max(20).default(5),
    /** Seed of every random choice (clustering), so the same input gives the same tree. */
    seed: z.number().int().default(224),
    provider: ProviderConfigSchema.default(() => ProviderConfigSchema.parse({})),
  })
  .strict();
export type IndexConfig = z.infer<typeof IndexConfigSchema>;
export type IndexConfigInput = z.input<typeof IndexConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parse, or throw a ConfigError whose message names each bad setting in one sentence. */
export function parseConfig(input: unknown, settingPrefix = ''): IndexConfig {
  const r = IndexConfigSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const parts = r.error.issues.map((i) => `${settingPrefix}${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError(`Invalid setting${parts.length > 1 ? 's' : ''}: ${parts.join('; ')}.`);
}
