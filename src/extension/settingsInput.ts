// The pure half of settings: `raptor.*` values → IndexConfigInput (no vscode import, so it is unit-tested in Node).
import type { IndexConfig, IndexConfigInput } from '../engine/config';

/** Settings that map 1:1 onto IndexConfig keys. */
const INDEX_KEYS = [
  'include',
  'exclude',
  'chunkTokens',
  'concurrency',
  'maxRetries',
  'retryBaseMs',
  'summarizer',
  'embedder',
  'summaryMaxTokens',
  'clusterMaxTokens',
  'maxLayers',
] as const;
const PROVIDER_KEYS = [
  'baseUrl',
  'apiKeyEnv',
  'requestsPerMinute',
  'tokensPerMinute',
  'maxInFlight',
  'timeoutMs',
  'maxAttempts',
  'summaryPrompt',
  'tokenBudget',
] as const;

/**
 * Settings that can point at a server or send documents off the machine: declared as restrictedConfigurations in
 * package.json, so in Restricted Mode VS Code ignores their workspace values (the user's own values still apply).
 */
export const RESTRICTED_SETTINGS = ['raptor.provider.baseUrl', 'raptor.provider.apiKeyEnv', 'raptor.summarizer', 'raptor.embedder'];

/** `null` and '' mean "not set" (package.json cannot declare an absent default for some types). */
function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/** Anything with WorkspaceConfiguration's `get`. */
export function readIndexConfigInput(cfg: { get(key: string): unknown }): IndexConfigInput {
  const input: Record<string, unknown> = {};
  for (const k of INDEX_KEYS) {
    const v = cfg.get(k);
    if (isSet(v)) input[k] = v;
  }
  const provider: Record<string, unknown> = {};
  for (const k of PROVIDER_KEYS) {
    const v = cfg.get(`provider.${k}`);
    if (isSet(v)) provider[k] = v;
  }
  input.provider = provider;
  return input as IndexConfigInput;
}

/** True when indexing with this config sends text off the machine (documents or queries). */
export function usesRemoteProvider(config: IndexConfig): boolean {
  return config.summarizer !== 'extractive' || config.embedder !== 'local';
}
