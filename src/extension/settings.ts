// `raptor.*` settings → the engine's IndexConfig, validated with parseConfig. An invalid value is reported naming
// the setting, and the previous valid config stays in force (a typo must not stop a running index).
import * as vscode from 'vscode';
import { ConfigError, parseConfig, type IndexConfig } from '../engine/config';
import { readIndexConfigInput } from './settingsInput';

export { RESTRICTED_SETTINGS, usesRemoteProvider } from './settingsInput';

const DEFAULT_CONFIRM_ABOVE_TOKENS = 200_000;

export type IndexLocation = 'workspace' | 'storage';

export interface ExtensionSettings {
  index: IndexConfig;
  indexLocation: IndexLocation;
  autoResume: boolean;
  /** raptor.confirmAboveTokens: Index Workspace asks before a paid run estimated above this many tokens (0: always). */
  confirmAboveTokens: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
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
  const confirmAboveTokens = cfg.get<number>('confirmAboveTokens', DEFAULT_CONFIRM_ABOVE_TOKENS);
  if (typeof confirmAboveTokens !== 'number' || !Number.isFinite(confirmAboveTokens) || confirmAboveTokens < 0) {
    throw new ConfigError(`Invalid setting: raptor.confirmAboveTokens: must be a number of tokens, 0 or more.`);
  }
  return {
    index,
    indexLocation: location,
    autoResume: cfg.get<boolean>('autoResume', false),
    confirmAboveTokens,
    logLevel: logLevel as ExtensionSettings['logLevel'],
  };
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
        confirmAboveTokens: DEFAULT_CONFIRM_ABOVE_TOKENS,
        logLevel: 'info' as const,
      };
      this.valid.set(key, fallback);
      return fallback;
    }
  }
}
