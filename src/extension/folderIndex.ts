// One workspace folder's index, driven through its own engine worker thread. The host keeps only the latest
// status snapshot; everything slow (parsing, embedding, clustering, sql.js) happens in the worker.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { startEngineWorker, type EngineClient, type EngineClientOptions } from '../engine/worker/engineClient';
import type { EngineResult } from '../engine/worker/protocol';
import type { EngineEvent, QueryHit, TaskStatus } from '../engine/types';
import type { ExtensionSettings } from './settings';

type Mode = 'read' | 'write';

export interface FolderIndexDeps {
  workerFile: string;
  settings(): ExtensionSettings;
  dbPath(settings: ExtensionSettings): string;
  /** The worker's whole environment, API key included. */
  env(settings: ExtensionSettings): Promise<Record<string, string | undefined>>;
  /** Host-served summaries (vscode.lm), with the settings of the folder that asks. */
  summarize(
    params: Parameters<NonNullable<EngineClientOptions['summarize']>>[0],
    signal: AbortSignal,
    settings: ExtensionSettings,
  ): ReturnType<NonNullable<EngineClientOptions['summarize']>>;
  log: vscode.LogOutputChannel;
  /**
   * Why nothing may be sent to the configured providers under these settings (Restricted Mode with a remote
   * provider), or undefined. Checked here, where every run starts (commands, the dashboard, retries, automatic
   * resume) and before retries, re-indexing and queries, so no path can skip it.
   */
  runRefusal?(settings: ExtensionSettings): string | undefined;
}

export class FolderIndex implements vscode.Disposable {
  private status_: TaskStatus | undefined;
  private client: EngineClient | undefined;
  private worker: Worker | undefined;
  private mode: Mode | undefined;
  /** Opening and closing the worker happen one at a time. */
  private lifecycle: Promise<unknown> = Promise.resolve();
  private running: Promise<EngineResult<'index/run'>> | undefined;
  /** Settings or the API key changed: reopen the worker with them once it is idle. */
  private stale = false;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly events = new vscode.EventEmitter<EngineEvent>();
  readonly onDidChange = this.changed.event;
  readonly onEvent = this.events.event;

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    private readonly deps: FolderIndexDeps,
  ) {}

  get root(): string {
    return this.folder.uri.fsPath;
  }

  get status(): TaskStatus | undefined {
    return this.status_;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  dbPath(): string {
    return this.deps.dbPath(this.deps.settings());
  }

  /** The snapshot is written at compaction; before the first one an index is only its journal (crash-safe anyway). */
  hasIndexOnDisk(): boolean {
    const db = this.dbPath();
    return ['', '.rjournal', '.bak', '.rjournal.old'].some((suffix) => fs.existsSync(db + suffix));
  }

  /**
   * Load the status of an existing index (read-only, so a CLI run is not locked out). `fresh` re-reads the disk when
   * only a read-only copy is open here, since another process (the CLI) may have written since.
   */
  async load(opts: { fresh?: boolean } = {}): Promise<TaskStatus | undefined> {
    if (!this.client && !this.hasIndexOnDisk()) return undefined;
    if (opts.fresh && this.mode === 'read') await this.shutdown();
    const client = await this.open('read');
    this.setStatus(await client.call('index/status', {}));
    return this.status_;
  }

  /** Index until done, paused or cancelled. Joins a run already in flight. */
  /** Why nothing may be sent to the configured providers here (Restricted Mode), or undefined. */
  refusal(): string | undefined {
    return this.deps.runRefusal?.(this.deps.settings());
  }

  /** Throws the refusal, before an action changes anything it could not then carry out. */
  private assertAllowed(): void {
    const refused = this.refusal();
    if (refused) throw new Error(refused);
  }

  run(): Promise<EngineResult<'index/run'>> {
    const refused = this.running ? undefined : this.refusal();
    if (refused) return Promise.reject(new Error(refused));
    this.running ??= (async () => {
      if (this.stale) await this.shutdown();
      const client = await this.open('write');
      return client.call('index/run', {});
    })().finally(() => {
      this.running = undefined;
      if (this.stale) void this.shutdown();
    });
    return this.running;
  }

  async pause(reason?: string): Promise<void> {
    await (await this.open('write')).call('index/pause', reason ? { reason } : {});
  }

  async cancel(): Promise<void> {
    await (await this.open('write')).call('index/cancel', {});
  }

  async retryFailed(): Promise<number> {
    this.assertAllowed(); // a retry or re-index that cannot run must not reset or drop anything first
    return (await this.open('write')).call('index/retryFailed', {});
  }

  async retryDocument(docPath: string): Promise<boolean> {
    this.assertAllowed(); // a retry or re-index that cannot run must not reset or drop anything first
    return (await this.open('write')).call('index/retryDocument', { path: docPath });
  }

  async reindexDocument(docPath: string): Promise<boolean> {
    this.assertAllowed(); // a retry or re-index that cannot run must not reset or drop anything first
    return (await this.open('write')).call('index/reindexDocument', { path: docPath });
  }

  async markChanged(paths: string[]): Promise<void> {
    if (paths.length === 0 || (!this.client && !this.hasIndexOnDisk())) return;
    await (await this.open('write')).call('index/markChanged', { paths });
  }

  async reset(): Promise<void> {
    if (!this.client && !this.hasIndexOnDisk()) return;
    await (await this.open('write')).call('index/reset', {});
  }

  /** What indexing what is pending would cost with the configured providers (the worker is opened to write, as the run follows). */
  async estimate(): Promise<EngineResult<'index/estimate'>> {
    return (await this.open('write')).call('index/estimate', {});
  }

  async query(text: string): Promise<QueryHit[]> {
    if (!this.client && !this.hasIndexOnDisk()) return [];
    // The query text is embedded by the configured embedder: refused only when that embedder is remote.
    if (this.deps.settings().index.embedder.startsWith('openai:')) this.assertAllowed();
    return (await this.open('read')).call('index/query', { text, topK: 20, mode: 'collapsed' });
  }

  async documentTree(docPath: string) {
    if (!this.client && !this.hasIndexOnDisk()) return [];
    return (await this.open('read')).call('index/documentTree', { path: docPath });
  }

  /** Settings or key changed: the worker is reopened with them now if idle, else after the current run. */
  invalidate(): void {
    this.stale = true;
    if (!this.running) void this.shutdown();
  }

  /** Close the index (final snapshot, lock released) and end the thread. */
  shutdown(): Promise<void> {
    return this.serially(() => this.stopWorker());
  }

  private async stopWorker(): Promise<void> {
    const client = this.client;
    const worker = this.worker;
    this.client = undefined;
    this.worker = undefined;
    this.mode = undefined;
    this.stale = false;
    if (!client) return;
    try {
      await client.call('index/close', {});
    } catch (e) {
      this.deps.log.warn(`${this.folder.name}: closing the index: ${(e as Error).message}`);
    }
    client.close('The index was closed.');
    await worker?.terminate();
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lifecycle.then(fn, fn);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  dispose(): void {
    void this.shutdown();
    this.changed.dispose();
    this.events.dispose();
  }

  private setStatus(status: TaskStatus): void {
    this.status_ = status;
    this.changed.fire();
  }

  /** A worker with the index open in at least this mode; a read-only worker is replaced to write. */
  private open(mode: Mode): Promise<EngineClient> {
    return this.serially(async () => {
      if (this.client && (mode === 'read' || this.mode === 'write')) return this.client;
      await this.stopWorker();
      return this.start(mode);
    });
  }

  private async start(mode: Mode): Promise<EngineClient> {
    const settings = this.deps.settings();
    const env = await this.deps.env(settings);
    const log = this.deps.log;
    const { client, worker } = startEngineWorker(this.deps.workerFile, env, {
      summarize: (params, signal) => this.deps.summarize(params, signal, settings),
      onEvent: (e) => {
        this.logEvent(e, settings.logLevel);
        this.events.fire(e);
      },
      onStatus: (s) => this.setStatus(s),
      onInvalidMessage: (d) => log.warn(`${this.folder.name}: dropped an invalid message from the engine worker: ${d}`),
      onExit: (message) => {
        if (this.worker !== worker) return; // a deliberate shutdown
        log.error(`${this.folder.name}: ${message}`);
        this.client = undefined;
        this.worker = undefined;
        this.mode = undefined;
      },
    });
    this.client = client;
    this.worker = worker;
    this.mode = mode;
    const dbPath = this.deps.dbPath(settings);
    const config = settings.index;
    log.info(`${this.folder.name}: opening ${mode === 'read' ? 'read-only' : 'writable'} index ${dbPath}`);
    try {
      const status = await client.call('index/open', {
        root: this.root,
        dbPath,
        config,
        hostSummarizerId: config.summarizer.startsWith('vscode-lm:') ? config.summarizer : null,
        readOnly: mode === 'read',
      });
      this.setStatus(status);
      return client;
    } catch (e) {
      this.client = undefined;
      this.worker = undefined;
      this.mode = undefined;
      client.close('The index could not be opened.');
      await worker.terminate();
      throw e;
    }
  }

  private logEvent(e: EngineEvent, level: ExtensionSettings['logLevel']): void {
    const log = this.deps.log;
    const order = ['trace', 'debug', 'info', 'warn', 'error'];
    const prefix = this.folder.name;
    if (e.type === 'log') {
      if (order.indexOf(e.level) >= order.indexOf(level)) log[e.level](`${prefix}: ${e.message}`);
    } else if (e.type === 'task/state') {
      log.info(`${prefix}: task ${e.state}${e.message ? ` — ${e.message}` : ''}`);
    } else if (e.type === 'document/state' && e.state === 'failed') {
      log.error(`${prefix}: ${e.path} failed${e.error ? `: ${e.error}` : ''}`);
    }
  }
}

/** Where a folder's index lives: `.raptor/index.db` in the folder (shared with the CLI), or the extension's storage. */
export function indexDbPath(folder: vscode.WorkspaceFolder, settings: ExtensionSettings, storageUri: vscode.Uri | undefined): string {
  if (settings.indexLocation === 'storage' && storageUri) {
    const safe = `${folder.index}-${folder.name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    return path.join(storageUri.fsPath, safe, 'index.db');
  }
  return path.join(folder.uri.fsPath, '.raptor', 'index.db');
}
