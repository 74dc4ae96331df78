// `raptor.*` settings → the engine's IndexConfig, validated with parseConfig. An invalid value is reported naming
// the setting, and the previous valid config stays in force (a typo must not stop a running index).
import * as vscode from 'vscode';
import { ConfigError, parseConfig, type IndexConfig, type IndexConfigInput } from '../engine/config';

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

export type IndexLocation = 'workspace' | 'storage';

export interface ExtensionSettings {
  index: IndexConfig;
  indexLocation: IndexLocation;
  autoResume: boolean;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

/** `null` and '' mean "not set" (package.json cannot declare an absent default for some types). */
function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

export function readIndexConfigInput(cfg: Pick<vscode.WorkspaceConfiguration, 'get'>): IndexConfigInput {
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

/** Read and validate the settings of one folder; throws ConfigError naming each bad `raptor.*` setting. */
export function readSettings(folder: vscode.WorkspaceFolder | undefined): ExtensionSettings {
  const cfg = vscode.workspace.getConfiguration('raptor', folder);
  const index = parseConfig(readIndexConfigInput(cfg), 'raptor.');
  const location = cfg.get<string>('indexLocation', 'workspace');
  if (location !== 'workspace' && location !== 'storage') {
    throw new ConfigError(`Invalid setting: raptor.indexLocation: must be "workspace" or "storage".`);
  }
  const logLevel = cfg.get<string>('logLevel', 'info');
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`Invalid setting: raptor.logLevel: must be one of trace, debug, info, warn, error.`);
  }
  return { index, indexLocation: location, autoResume: cfg.get<boolean>('autoResume', false), logLevel: logLevel as ExtensionSettings['logLevel'] };
}

/** True when indexing with this config sends text off the machine (documents or queries). */
export function usesRemoteProvider(config: IndexConfig): boolean {
  return config.summarizer !== 'extractive' || config.embedder !== 'local';
}

/** Keeps the last valid settings per folder and reports invalid changes once each. */
export class SettingsStore {
  private readonly valid = new Map<string, ExtensionSettings>();
  private readonly reported = new Map<string, string>();

  constructor(private readonly report: (message: string) => void) {}

  /** The settings in force for this folder: freshly read when valid, else the previous valid ones (or defaults). */
  get(folder: vscode.WorkspaceFolder): ExtensionSettings {
    const key = folder.uri.toString();
    try {
      const s = readSettings(folder);
      this.valid.set(key, s);
      this.reported.delete(key);
      return s;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const previous = this.valid.get(key);
      const message = `${e.message} ${previous ? 'The previous settings stay in force.' : 'Using the defaults.'}`;
      if (this.reported.get(key) !== message) this.report(message);
      this.reported.set(key, message);
      const fallback = previous ?? {
        index: parseConfig({}),
        indexLocation: 'workspace' as const,
        autoResume: false,
        logLevel: 'info' as const,
      };
      this.valid.set(key, fallback);
      return fallback;
    }
  }
}
