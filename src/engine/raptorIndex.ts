// RaptorIndex: the one entry point the CLI, the extension's worker and the tests drive.
// It owns the checkpoint store, the writer lock, the providers and the runner that indexes pending documents.
import { AsyncLocalStorage } from 'async_hooks';
import { setMaxListeners } from 'events';
import { createHash, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { chunkDocument } from './chunk/chunker';
import { ConfigError, parseConfig, type IndexConfig, type IndexConfigInput } from './config';
import { ControlChannel } from './control';
import { discoverDocuments } from './documents/discover';
import { readDocument } from './documents/read';
import { isAbortError, systemClock, throwIfAborted, type CallCache, type Embedder, type Summarizer } from './ports';
import type { TokenBudget } from './providers/budget';
import { createDryRunProviders, createProviders, usesOpenAIServer } from './providers/factory';
import { collapsedTreeRetrieve, NodeMatrix, treeTraversalRetrieve } from './retrieve';
import { CheckpointStore } from './store/checkpointStore';
import { IndexLock, readLockOwner } from './store/lock';
import { FilePersistence, indexFilePaths, MemoryPersistence, type Persistence } from './store/persistence';
import { SchemaVersionError } from './store/schema';
import { BuildPool } from './tree/buildPool';
import { buildDocument } from './tree/localBuild';
import { buildTree } from './tree/treeBuilder';
import {
  addTokens,
  type DocumentState,
  type EngineEvent,
  type QueryHit,
  type TaskState,
  type TaskStatus,
  type TokenCount,
  type TreeNode,
  withTotal,
  ZERO_TOKENS,
} from './types';

export interface OpenIndexOptions {
  /** Folder to index. */
  root: string;
  /** Default `<root>/.raptor/index.db`, shared by the CLI and the extension. */
  dbPath?: string;
  config?: IndexConfigInput;
  embedder?: Embedder;
  summarizer?: Summarizer;
  /** Where API keys are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** No writer lock and no writes: status, query and export while another process writes. */
  readOnly?: boolean;
}

export interface RunOutcome {
  state: TaskState;
  completed: number;
  failed: number;
  message: string | null;
}

export interface CostEstimate {
  documents: number;
  calls: { summary: number; embedding: number };
  tokens: { prompt: number; completion: number; embedding: number; total: number };
}

/** Opening failed for a reason the user can act on; the message is one sentence. */
export class IndexOpenError extends Error {
  constructor(
    message: string,
    /** 'locked': another live process writes this index. */
    readonly reason?: 'locked',
  ) {
    super(message);
    this.name = 'IndexOpenError';
  }
}

export const INDEX_DIR = '.raptor';

/** An index exists once its snapshot or its journal does (until the first compaction there is only the journal). */
export function indexExists(dbPath: string): boolean {
  const files = indexFilePaths(dbPath);
  return [files.db, files.journal, files.journalOld, files.backup].some((f) => fs.existsSync(f));
}
export function defaultDbPath(root: string): string {
  return path.join(root, INDEX_DIR, 'index.db');
}

/**
 * The settings an index was built with are the base; what the caller gives overrides them (provider options one by
 * one). Two provider settings are not simply taken from a stored index, because an index copied from elsewhere (a
 * cloned repository, say) must not be able to send your API key or your documents to a server of its choosing: the
 * variable that holds the key (never taken), and the base URL (taken only when it is on this machine, and only when
 * neither the caller nor OPENAI_BASE_URL names one). When a stored URL elsewhere would be needed — a remote provider,
 * no base URL from the caller, OPENAI_BASE_URL unset or different — opening to write refuses with one sentence saying
 * how to keep it, instead of quietly switching servers and rebuilding every tree; a read-only open just drops it.
 * Likewise an index built in another folder (`builtIn`) does not pick a paid summarizer or embedder unless given again.
 */
export function mergeStoredConfig(
  stored: string | undefined,
  given: IndexConfigInput | undefined,
  env: Record<string, string | undefined> = process.env,
  opts: { readOnly?: boolean; builtIn?: string } = {},
): IndexConfig {
  if (!stored) return parseConfig(given ?? {});
  const base = JSON.parse(stored) as Record<string, unknown> & { provider?: Record<string, unknown> };
  // An index built in another folder (copied, or cloned with a repository) does not choose a paid provider by itself.
  if (opts.builtIn && !opts.readOnly) {
    for (const key of ['summarizer', 'embedder'] as const) {
      const value = base[key];
      if (typeof value === 'string' && value.startsWith('openai:') && (given as Record<string, unknown> | undefined)?.[key] === undefined) {
        throw new ConfigError(
          `This index was built in ${opts.builtIn} with the ${key} ${value}, which is not reused in another folder by itself: ` +
            `give --${key} ${value} to keep it here, or another ${key}.`,
        );
      }
    }
  }
  const { apiKeyEnv: _ignored, baseUrl: storedBaseUrl, ...storedProvider } = base.provider ?? {};
  const g = (given ?? {}) as Record<string, unknown> & { provider?: Record<string, unknown> };
  const fromEnv = env.OPENAI_BASE_URL?.trim() || undefined;
  const keepBaseUrl = typeof storedBaseUrl === 'string' && isLoopbackUrl(storedBaseUrl) && !fromEnv;
  const config = parseConfig({ ...base, ...g, provider: { ...storedProvider, ...(keepBaseUrl ? { baseUrl: storedBaseUrl } : {}), ...(g.provider ?? {}) } });
  const lost = typeof storedBaseUrl === 'string' && !keepBaseUrl && config.provider.baseUrl === undefined && fromEnv !== storedBaseUrl;
  if (lost && usesOpenAIServer(config) && !opts.readOnly && !(fromEnv && isLoopbackUrl(storedBaseUrl))) {
    throw new ConfigError(
      `This index was built against ${storedBaseUrl}, and a server address is not reused from a stored index (it would receive your API key): ` +
        `give it again (--base-url or raptor.provider.baseUrl) to continue with it, or name the server you want.`,
    );
  }
  return config;
}

/** Whether a URL points at this machine (loopback); a private network is not trusted: anyone on a café's Wi-Fi is on it. */
function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  return /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Errors that stop the whole task for a reason outside any one document: pause, tell the user, lose nothing. */
const INTERRUPTED_MESSAGE = 'Interrupted: the process that was indexing stopped; resume to continue.';

/** Backoff between document retries never grows past this. */
const MAX_RETRY_DELAY_MS = 60_000;

const TASK_PAUSING_ERRORS = new Set(['BudgetExceededError', 'ConsentRequiredError', 'StorageWriteError']);

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

function subtract(a: TokenCount, b: TokenCount): TokenCount {
  return {
    prompt: Math.max(0, a.prompt - b.prompt),
    completion: Math.max(0, a.completion - b.completion),
    embedding: Math.max(0, a.embedding - b.embedding),
  };
}

export function configSignature(config: IndexConfig, embedder: Embedder, summarizer: Summarizer): string {
  const relevant = {
    chunkTokens: config.chunkTokens,
    embedder: embedder.id,
    summarizer: summarizer.id,
    summaryMaxTokens: config.summaryMaxTokens,
    clusterMaxTokens: config.clusterMaxTokens,
    maxLayers: config.maxLayers,
    seed: config.seed,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

/** Tracks, per document attempt, the usage already made durable by call-cache puts (so it is not counted twice). */
interface DocumentAttempt {
  path: string;
  journaled: TokenCount;
  live: TokenCount;
}

export class RaptorIndex {
  /** What opening repaired or fell back on (a torn journal tail dropped, a damaged snapshot replaced by its backup). */
  readonly openWarnings: string[] = [];
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private readonly attemptScope = new AsyncLocalStorage<DocumentAttempt>();
  private readonly inFlight = new Map<string, DocumentAttempt>();
  private matrix: NodeMatrix | undefined;
  private controller: AbortController | undefined;
  private running: Promise<RunOutcome> | undefined;
  private stopReason: { state: 'paused' | 'cancelled'; message: string | null } | undefined;
  private completions: number[] = [];
  private runStartedAt = 0;
  private lastProgressAt = 0;
  private progressTimer: NodeJS.Timeout | undefined;
  private embedder: Embedder;
  private summarizer: Summarizer;
  private signature: string;
  private budget: TokenBudget | undefined;
  /** Worker threads for documents built with the embedded providers (pure CPU); undefined when running in-process. */
  private pool: BuildPool | undefined | null = null;

  private constructor(
    readonly root: string,
    readonly dbPath: string,
    readonly config: IndexConfig,
    private readonly store: CheckpointStore,
    private readonly lock: IndexLock | undefined,
    private readonly control: ControlChannel | undefined,
    private readonly opts: OpenIndexOptions,
    readonly readOnly: boolean,
  ) {
    const providers = this.makeProviders();
    this.embedder = providers.embedder;
    this.summarizer = providers.summarizer;
    this.budget = providers.budget;
    this.signature = configSignature(config, this.embedder, this.summarizer);
  }

  static async open(opts: OpenIndexOptions): Promise<RaptorIndex> {
    const root = path.resolve(opts.root);
    const dbPath = path.resolve(opts.dbPath ?? defaultDbPath(root));
    const readOnly = !!opts.readOnly;
    // Validate what was given before touching anything on disk.
    const given = parseConfig(opts.config ?? {});
    let lock: IndexLock | undefined;
    let persistence: Persistence;
    if (!given.checkpoints) {
      if (readOnly) throw new IndexOpenError('There is no index to read: checkpoints are off.');
      persistence = new MemoryPersistence();
    } else {
      if (readOnly && !indexExists(dbPath)) throw new IndexOpenError(`There is no index at ${dbPath}; run \`raptor index <folder>\` first.`);
      if (!readOnly) {
        try {
          fs.mkdirSync(path.dirname(dbPath), { recursive: true });
          // The index folder ignores itself, so it is never committed by accident.
          const ignoreFile = path.join(path.dirname(dbPath), '.gitignore');
          if (path.basename(path.dirname(dbPath)) === INDEX_DIR && !fs.existsSync(ignoreFile)) fs.writeFileSync(ignoreFile, '*\n');
        } catch (e) {
          throw new IndexOpenError(`Cannot create the index folder ${path.dirname(dbPath)} (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}).`);
        }
        try {
          lock = await IndexLock.acquire(dbPath);
        } catch (e) {
          throw new IndexOpenError(errorMessage(e), e instanceof Error && e.name === 'IndexLockedError' ? 'locked' : undefined);
        }
      }
      persistence = new FilePersistence(dbPath, { readOnly });
    }
    const warnings: string[] = [];
    let store: CheckpointStore;
    try {
      store = await CheckpointStore.open({ persistence, onWarning: (w) => warnings.push(w) });
    } catch (e) {
      await lock?.release();
      if (e instanceof SchemaVersionError || (e instanceof Error && e.name === 'CorruptIndexError')) throw new IndexOpenError(e.message);
      throw new IndexOpenError(`The index at ${dbPath} cannot be opened (${errorMessage(e)}); it was left untouched — move it aside or choose another --db.`);
    }
    let index: RaptorIndex;
    try {
      // The settings the index was built with are the base; what the caller gives overrides them.
      const builtIn = store.meta('root');
      const config = mergeStoredConfig(store.meta('config'), opts.config, opts.env ?? process.env, {
        readOnly,
        builtIn: builtIn && path.resolve(builtIn) !== root ? builtIn : undefined,
      });
      const control = config.checkpoints ? new ControlChannel(dbPath) : undefined;
      index = new RaptorIndex(root, dbPath, config, store, lock, control, opts, readOnly);
    } catch (e) {
      store.close();
      await lock?.release();
      throw e instanceof ConfigError ? e : new IndexOpenError(errorMessage(e));
    }
    index.openWarnings.push(...warnings);
    for (const w of warnings) index.log('warn', w);
    if (!readOnly) index.recoverInterrupted();
    return index;
  }

  /** Settings that were given explicitly, or stored with the index. */
  storedRoot(): string | undefined {
    return this.store.meta('root');
  }

  /** Worker threads, where their bundle exists (from sources everything runs in-process, with the same code). */
  private buildPool(): BuildPool | undefined {
    if (this.pool === null) this.pool = BuildPool.create(Math.min(this.config.concurrency, os.cpus().length));
    return this.pool;
  }

  /** Whole documents go to the pool only with the embedded providers: free, pure CPU, identical in a worker. */
  private embeddedProviders(): boolean {
    return !this.opts.embedder && !this.opts.summarizer && this.config.embedder === 'local' && this.config.summarizer === 'extractive';
  }

  private makeProviders() {
    const cache: CallCache = {
      get: (key) => this.store.callCache(null).get(key),
      put: (key, call) => {
        const attempt = this.attemptScope.getStore();
        this.store.callCache(attempt?.path ?? null).put(key, call);
        if (attempt) attempt.journaled = addTokens(attempt.journaled, call.usage);
      },
    };
    // A summarizer served by the extension host (vscode-lm) is wrapped by the factory like a remote one: same budget,
    // call cache and in-flight cap. Any other injected provider (tests) is used as given.
    const hostSummarizer = this.config.summarizer.startsWith('vscode-lm:') ? this.opts.summarizer : undefined;
    const made = createProviders(this.config, {
      hostSummarizer,
      cache: this.readOnly ? undefined : cache,
      env: this.opts.env ?? process.env,
      clock: systemClock,
      log: (level: 'info' | 'warn' | 'error', msg: string) => this.log(level, msg),
      tokensUsed: (() => {
        const t = this.store.taskTokens();
        return t.prompt + t.completion + t.embedding;
      })(),
    });
    return {
      embedder: this.opts.embedder ?? made.embedder,
      summarizer: hostSummarizer ? made.summarizer : (this.opts.summarizer ?? made.summarizer),
      budget: made.budget,
    };
  }

  /** A task that was running when the process died: its running documents go back to pending. */
  private recoverInterrupted(): void {
    // (Documents that were running are pending again already: the store never makes `running` durable.)
    if (this.store.taskState() === 'running') {
      this.store.setTaskState('paused', INTERRUPTED_MESSAGE);
      this.log('info', 'The previous run was interrupted; its unfinished documents are pending.');
    }
  }

  // ------------------------------------------------------------------ events

  onEvent(listener: (e: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: EngineEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A broken view must not break indexing.
      }
    }
  }

  private log(level: 'trace' | 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', level, message });
  }

  private emitDocument(p: string): void {
    const d = this.store.document(p);
    if (d) this.emit({ type: 'document/state', path: p, state: d.state, error: d.error, retryCount: d.retryCount });
  }

  private emitTaskState(): void {
    const s = this.store.status();
    this.emit({ type: 'task/state', state: s.status, message: s.message });
  }

  /** Progress at most every 200 ms (with a trailing event), so views are not flooded. */
  private emitProgress(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastProgressAt < 200) {
      this.progressTimer ??= setTimeout(() => {
        this.progressTimer = undefined;
        this.emitProgress(true);
      }, 200);
      return;
    }
    this.lastProgressAt = now;
    const counts = this.counts();
    let tokens = this.store.taskTokens();
    for (const a of this.inFlight.values()) tokens = addTokens(tokens, subtract(a.live, a.journaled));
    const windowStart = now - 60_000;
    this.completions = this.completions.filter((t) => t >= windowStart);
    const span = Math.max(1, (now - Math.max(windowStart, this.runStartedAt)) / 1000);
    const rate = this.completions.length / span;
    const remaining = counts.pending + counts.running;
    this.emit({
      type: 'progress',
      total: counts.total,
      completed: counts.completed,
      failed: counts.failed,
      running: counts.running,
      pending: counts.pending,
      cancelled: counts.cancelled,
      tokens: withTotal(tokens),
      docsPerSecond: Math.round(rate * 1000) / 1000,
      etaSeconds: rate > 0 ? Math.round(remaining / rate) : remaining === 0 ? 0 : null,
      elapsedSeconds: this.runStartedAt ? Math.round((now - this.runStartedAt) / 1000) : 0,
    });
  }

  private counts(): Record<DocumentState | 'total', number> {
    const c = { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
    const r = this.store.db.exec('SELECT state, COUNT(*) FROM documents GROUP BY state')[0];
    for (const [state, n] of r?.values ?? []) {
      c[state as DocumentState] = Number(n);
      c.total += Number(n);
    }
    return c;
  }

  // ------------------------------------------------------------------ reading

  status(): TaskStatus {
    const s = this.store.status();
    // Read from another process: a task that says it is running, with no live writer, was interrupted (killed).
    if (this.readOnly && s.status === 'running' && this.config.checkpoints && !readLockOwner(this.dbPath)?.live) {
      return { ...s, status: 'paused', message: INTERRUPTED_MESSAGE };
    }
    return s;
  }

  documentTree(docPath: string): Array<Omit<TreeNode, 'embedding'>> {
    return [...this.store.nodes(docPath, false)].map(({ embedding: _e, ...rest }) => rest);
  }

  /** Every node, ordered by document, layer and index: the `raptor export` lines. */
  *exportNodes(): Generator<{ id: string; doc: string; layer: number; text: string; children: string[]; token_count: number }> {
    for (const n of this.store.nodes(undefined, false)) {
      yield { id: n.id, doc: n.doc, layer: n.layer, text: n.text, children: n.children, token_count: n.tokens };
    }
  }

  async query(
    text: string,
    opts: { topK?: number; maxTokens?: number; mode?: 'collapsed' | 'traversal'; signal?: AbortSignal } = {},
  ): Promise<QueryHit[]> {
    if (!text.trim()) return [];
    this.matrix ??= new NodeMatrix([...this.store.nodes()]);
    if (this.matrix.nodes.length === 0) return [];
    const builtWith = this.store.meta('embedder');
    if (builtWith && builtWith !== this.embedder.id) {
      throw new IndexOpenError(`The index was built with the embedder ${builtWith}, but ${this.embedder.id} is configured; query with the same embedder or re-index.`);
    }
    const q = await this.embedder.embed([text], { signal: opts.signal ?? new AbortController().signal });
    const options = { topK: opts.topK ?? 10, maxTokens: opts.maxTokens ?? 2000 };
    return opts.mode === 'traversal' ? treeTraversalRetrieve(this.matrix, q.vectors[0], options) : collapsedTreeRetrieve(this.matrix, q.vectors[0], options);
  }

  // ------------------------------------------------------------------ control

  isRunning(): boolean {
    return this.running !== undefined;
  }

  pause(reason: string | null = null): void {
    this.stop('paused', reason);
  }

  cancel(): void {
    this.stop('cancelled', null);
  }

  private stop(state: 'paused' | 'cancelled', message: string | null): void {
    this.assertWritable();
    if (this.running) {
      this.stopReason ??= { state, message };
      if (state === 'cancelled') this.stopReason = { state, message };
      this.controller?.abort();
      this.safeCommit(() => this.store.setTaskState(state, message));
    } else {
      this.store.ensureTask(() => randomUUID());
      const current = this.store.taskState();
      if (state === 'cancelled') {
        const open = this.store.documents(`WHERE state IN ('pending','running')`).map((d) => d.path);
        this.store.setDocuments(open, 'cancelled');
        this.store.setTaskState('cancelled', message);
      } else if (current === 'running' || current === 'pending') {
        this.store.setTaskState('paused', message);
      }
    }
    this.emitTaskState();
    this.emitProgress(true);
  }

  /** failed (and cancelled) → pending with their retry counts reset. Returns how many. */
  retryFailed(): number {
    this.assertWritable();
    const paths = this.store.documents(`WHERE state IN ('failed','cancelled')`).map((d) => d.path);
    this.store.setDocuments(paths, 'pending', { resetRetries: true });
    for (const p of paths) this.emitDocument(p);
    this.emitProgress(true);
    return paths.length;
  }

  retryDocument(docPath: string): boolean {
    this.assertWritable();
    const d = this.store.document(docPath);
    if (!d || d.state === 'running' || d.state === 'completed') return false;
    this.store.setDocuments([docPath], 'pending', { resetRetries: true });
    this.emitDocument(docPath);
    this.emitProgress(true);
    return true;
  }

  reindexDocument(docPath: string): boolean {
    this.assertWritable();
    const d = this.store.document(docPath);
    if (!d || d.state === 'running') return false;
    this.store.setDocuments([docPath], 'pending', { resetRetries: true, dropTree: true });
    this.matrix = undefined;
    this.emitDocument(docPath);
    this.emitProgress(true);
    return true;
  }

  markChanged(paths: string[]): void {
    this.assertWritable();
    const known = paths.filter((p) => this.store.document(p));
    this.store.markStale(known);
    for (const p of known) this.emitDocument(p);
  }

  async reset(): Promise<void> {
    this.assertWritable();
    if (this.running) {
      this.cancel();
      await this.running;
    }
    this.store.reset(randomUUID());
    this.matrix = undefined;
    this.emitTaskState();
    this.emitProgress(true);
  }

  /** Raise the token budget of a task paused by it (then call run() again). */
  raiseBudget(tokens: number): void {
    this.budget?.setLimit(tokens);
  }

  async close(): Promise<void> {
    if (this.running) {
      this.pause('The index was closed.');
      await this.running.catch(() => undefined);
    }
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.control?.close();
    await this.pool?.close();
    try {
      if (!this.readOnly && this.config.checkpoints && this.store.hasJournaledRecords()) this.store.compact();
    } catch (e) {
      this.log('warn', `Could not write a final snapshot (the journal keeps everything): ${errorMessage(e)}`);
    }
    this.store.close();
    await this.lock?.release();
  }

  private assertWritable(): void {
    if (this.readOnly) throw new IndexOpenError('This index is open read-only.');
  }

  /** Run a store write; when the disk refuses it, pause the task with the reason instead of crashing. */
  private safeCommit(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      if (e instanceof Error && e.name === 'StorageWriteError') {
        this.stopReason = { state: 'paused', message: e.message };
        this.controller?.abort();
        this.log('error', e.message);
        return false;
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------ running

  /**
   * Discover files, then index pending documents until none are left, or until paused or cancelled.
   * Never rejects for a document's failure; the outcome says how it ended.
   */
  run(opts: { signal?: AbortSignal } = {}): Promise<RunOutcome> {
    this.assertWritable();
    this.running ??= this.runOnce(opts.signal).finally(() => {
      this.running = undefined;
      this.controller = undefined;
    });
    return this.running;
  }

  private async runOnce(external?: AbortSignal): Promise<RunOutcome> {
    // An index belongs to one folder: scanning another would silently delete every tree of the first. (An index
    // inside its folder moves with it: a copied project keeps working.)
    const storedRoot = this.store.meta('root');
    const insideRoot = this.dbPath === defaultDbPath(this.root);
    if (!insideRoot && storedRoot && path.resolve(storedRoot) !== this.root && fs.existsSync(storedRoot)) {
      throw new IndexOpenError(
        `The index at ${this.dbPath} belongs to ${storedRoot}, not ${this.root}; use another --db, or \`raptor reset\` it first.`,
      );
    }
    if (!fs.existsSync(this.root) || !fs.statSync(this.root).isDirectory()) throw new IndexOpenError(`The folder ${this.root} does not exist.`);
    this.stopReason = undefined;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    // Every call in flight (dozens, across documents) listens for this one signal; that is by design, not a leak.
    setMaxListeners(0, signal);
    const onExternal = () => this.pause('Interrupted.');
    external?.addEventListener('abort', onExternal, { once: true });
    this.control?.start((command) => (command === 'cancel' ? this.cancel() : this.pause('Paused from another process.')));
    this.runStartedAt = Date.now();
    this.completions = [];
    try {
      this.store.ensureTask(() => randomUUID());
      // The budget is the task's: this run may start a new task (after a reset) of an index kept open.
      const spent = this.store.taskTokens();
      this.budget?.setUsed(spent.prompt + spent.completion + spent.embedding);
      this.store.setTaskState('running');
      this.emitTaskState();
      await this.synchronise(signal);
      this.store.setMetaValue('root', this.root);
      this.store.setMetaValue('embedder', this.embedder.id);
      this.store.setMetaValue('config', JSON.stringify(this.config));
      this.emitProgress(true);
      await this.processPending(signal, this.controller);
    } catch (e) {
      if (!(isAbortError(e) && this.stopReason)) {
        if (e instanceof Error && e.name === 'StorageWriteError') this.stopReason = { state: 'paused', message: e.message };
        else {
          const message = `The task stopped: ${errorMessage(e)}`;
          this.log('error', message);
          this.safeCommit(() => {
            this.store.setDocuments(this.store.documents(`WHERE state = 'running'`).map((d) => d.path), 'pending');
            this.store.setTaskState('failed', message);
          });
          this.emitTaskState();
          return this.outcome('failed', message);
        }
      }
    } finally {
      external?.removeEventListener('abort', onExternal);
      this.control?.stop();
    }
    if (this.stopReason) {
      const { state, message } = this.stopReason;
      this.safeCommit(() => {
        const open = this.store.documents(`WHERE state IN ('running'${state === 'cancelled' ? ",'pending'" : ''})`).map((d) => d.path);
        this.store.setDocuments(open, state === 'cancelled' ? 'cancelled' : 'pending');
        this.store.setTaskState(state, message);
        for (const p of open) this.emitDocument(p);
      });
      this.emitTaskState();
      this.emitProgress(true);
      return this.outcome(state, message);
    }
    const failed = this.store.failedDocuments().length;
    const message = failed ? `${failed} document(s) failed; Retry Failed (raptor retry-failed) queues them again.` : null;
    this.safeCommit(() => this.store.setTaskState('completed', message));
    this.safeCommit(() => this.store.maybeCompact());
    this.emitTaskState();
    this.emitProgress(true);
    return this.outcome('completed', message);
  }

  private outcome(state: TaskState, message: string | null): RunOutcome {
    const c = this.counts();
    return { state, completed: c.completed, failed: c.failed, message };
  }

  /** Compare the folder with the document table: what is new or changed, merely touched, or gone. */
  private async planSync(signal: AbortSignal): Promise<{
    upsert: { path: string; hash: string; size: number; mtimeMs: number }[];
    touch: { path: string; size: number; mtimeMs: number }[];
    requeue: string[];
    remove: string[];
  }> {
    const found = await discoverDocuments(this.root, {
      include: this.config.include,
      exclude: [...this.config.exclude, ...this.indexFolderExcludes()],
      signal,
    });
    const plan = { upsert: [] as { path: string; hash: string; size: number; mtimeMs: number }[], touch: [] as { path: string; size: number; mtimeMs: number }[], requeue: [] as string[], remove: [] as string[] };
    const seen = new Set<string>();
    for (const f of found) {
      seen.add(f.path);
      const known = this.store.document(f.path);
      const sameConfig = known?.signature === this.signature;
      if (known && sameConfig && known.size === f.size && known.mtimeMs === f.mtimeMs && !known.stale) {
        if (known.state === 'cancelled') plan.requeue.push(f.path);
        continue;
      }
      let hash: string;
      try {
        hash = createHash('sha256').update(await fs.promises.readFile(f.absPath)).digest('hex');
      } catch (e) {
        hash = `unreadable:${(e as NodeJS.ErrnoException).code ?? 'error'}`;
      }
      if (known && sameConfig && known.contentHash === hash) {
        // Touched but unchanged: nothing to redo.
        plan.touch.push({ path: f.path, size: f.size, mtimeMs: f.mtimeMs });
        if (known.state === 'cancelled') plan.requeue.push(f.path);
        continue;
      }
      plan.upsert.push({ path: f.path, hash, size: f.size, mtimeMs: f.mtimeMs });
    }
    for (const d of this.store.documents()) if (!seen.has(d.path)) plan.remove.push(d.path);
    return plan;
  }

  /** Bring the document table in line with the folder: new and changed files become pending, deleted ones go. */
  private async synchronise(signal: AbortSignal): Promise<void> {
    const plan = await this.planSync(signal);
    this.store.syncDocuments({ ...plan, signature: this.signature });
    if (plan.upsert.length || plan.remove.length) this.matrix = undefined;
    if (plan.upsert.length || plan.remove.length) {
      this.log('info', `${plan.upsert.length} new or changed document(s), ${plan.remove.length} removed.`);
    }
  }

  /**
   * `--dry-run`: the calls and tokens that indexing the documents needing work would cost, without writing anything
   * or touching the network (paid providers are replaced by estimators; cached calls count as free).
   */
  async estimate(signal: AbortSignal = new AbortController().signal): Promise<CostEstimate> {
    const plan = await this.planSync(signal);
    const upserted = new Set(plan.upsert.map((u) => u.path));
    const paths = [
      ...upserted,
      ...plan.requeue,
      ...this.store.documents(`WHERE state IN ('pending','running')`).map((d) => d.path).filter((p) => !upserted.has(p)),
    ];
    const { embedder, summarizer, tally } = createDryRunProviders(this.config, { env: this.opts.env ?? process.env, cache: this.store.callCache(null) });
    for (const docPath of paths) {
      throwIfAborted(signal);
      let chunks;
      try {
        chunks = chunkDocument(await readDocument(path.join(this.root, docPath), signal), { chunkTokens: this.config.chunkTokens });
      } catch {
        continue; // an unreadable file costs nothing: it will fail before any call
      }
      if (chunks.length) await buildTree(docPath, chunks, { embedder, summarizer, config: this.config, signal });
    }
    const e = tally.snapshot();
    return { documents: paths.length, calls: e.calls, tokens: e.tokens };
  }

  /** Never index the index. (Its own files never match a document extension, so a --db elsewhere needs nothing.) */
  private indexFolderExcludes(): string[] {
    return [`**/${INDEX_DIR}/**`];
  }

  private async processPending(signal: AbortSignal, controller: AbortController): Promise<void> {
    const taken = new Set<string>();
    /** Failed documents waiting out their backoff: path → when they are due. */
    const delayed = new Map<string, number>();
    // The pending list is read once, not per document (that would be quadratic in the corpus), and again only when
    // it runs dry, to pick up documents queued meanwhile (Retry Document or Retry Failed during the run).
    let queue = this.store.pendingDocuments().map((d) => d.path);
    let cursor = 0;
    const isPending = (p: string) => this.store.document(p)?.state === 'pending';
    const next = (): string | 'wait' | undefined => {
      const now = Date.now();
      for (const [p, due] of delayed) {
        if (due > now) continue;
        delayed.delete(p);
        if (isPending(p) && !taken.has(p)) return p;
      }
      for (let refreshed = false; ; refreshed = true) {
        while (cursor < queue.length) {
          const p = queue[cursor++];
          if (!taken.has(p) && !delayed.has(p) && isPending(p)) return p;
        }
        if (refreshed) break;
        queue = this.store.pendingDocuments().map((d) => d.path);
        cursor = 0;
      }
      return delayed.size ? 'wait' : undefined;
    };
    const worker = async () => {
      while (!signal.aborted && !this.stopReason) {
        const p = next();
        if (p === undefined) return;
        if (p === 'wait') {
          const soonest = Math.min(...delayed.values());
          await systemClock.sleep(Math.max(10, Math.min(soonest - Date.now(), 1000)), signal).catch(() => undefined);
          continue;
        }
        taken.add(p);
        try {
          const retryDelay = await this.processDocument(p, signal);
          if (retryDelay !== undefined) delayed.set(p, Date.now() + retryDelay);
        } finally {
          taken.delete(p);
        }
      }
    };
    // If one loop fails (an unexpected error, not a document's), stop the others and let them settle before
    // reporting it, so no document is left running behind a task that says it stopped.
    const results = await Promise.allSettled(
      Array.from({ length: this.config.concurrency }, () =>
        worker().catch((e) => {
          controller.abort();
          throw e;
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Index one document. Returns a delay when it failed and should be retried after it. */
  private async processDocument(docPath: string, signal: AbortSignal): Promise<number | undefined> {
    const attempt: DocumentAttempt = { path: docPath, journaled: { ...ZERO_TOKENS }, live: { ...ZERO_TOKENS } };
    if (!this.safeCommit(() => this.store.markDocumentRunning(docPath))) return undefined;
    this.inFlight.set(docPath, attempt);
    this.emitDocument(docPath);
    this.emitProgress();
    const started = Date.now();
    try {
      await this.attemptScope.run(attempt, async () => {
        const absPath = path.join(this.root, docPath);
        const pool = this.buildPool();
        const tree =
          pool && this.embeddedProviders()
            ? await pool.build({ absPath, docPath, config: this.config }, signal)
            : await buildDocument(
                absPath,
                docPath,
                this.config,
                {
                  embedder: this.embedder,
                  summarizer: this.summarizer,
                  // Paid calls stay in this thread (one limiter, budget and cache); clustering moves off it, so
                  // answers are recorded as they arrive instead of waiting behind seconds of CPU.
                  cluster: pool ? (e, t, o) => pool.cluster(e, t, o, signal) : undefined,
                },
                signal,
                (u) => {
                  attempt.live = addTokens(attempt.live, u);
                  this.emitProgress();
                },
              );
        // Output and marker in one record; usage already journaled with cached calls is not added twice.
        this.store.saveDocumentCompletion(docPath, { ...tree, usage: subtract(tree.usage, attempt.journaled), durationMs: Date.now() - started });
      });
      this.matrix = undefined;
      this.completions.push(Date.now());
      this.log('info', `Indexed ${docPath}.`);
      return undefined;
    } catch (e) {
      const unjournaled = subtract(attempt.live, attempt.journaled);
      if (signal.aborted && (isAbortError(e) || this.stopReason)) {
        this.safeCommit(() => this.store.addDocumentUsage(docPath, unjournaled));
        return undefined; // the run's end puts it back to pending (pause) or cancelled
      }
      if (e instanceof Error && TASK_PAUSING_ERRORS.has(e.name)) {
        this.safeCommit(() => this.store.addDocumentUsage(docPath, unjournaled));
        this.stopReason ??= { state: 'paused', message: e.message };
        this.log('warn', `Pausing: ${e.message}`);
        // No new document starts. A full disk stops everything now; under a budget or consent stop, calls already
        // in flight elsewhere were admitted and paid for, so they finish and are cached for the resume.
        if (e.name === 'StorageWriteError') this.controller?.abort();
        return undefined;
      }
      const d = this.store.document(docPath);
      const attempts = (d?.retryCount ?? 0) + 1;
      // A file that cannot be read or has no text will not get better by waiting: fail it now.
      const permanent = e instanceof Error && (e.name === 'DocumentReadError' || e.name === 'EmptyDocumentError');
      const final = permanent || attempts > this.config.maxRetries;
      const message = errorMessage(e);
      if (!this.safeCommit(() => this.store.saveDocumentFailure(docPath, message, final, unjournaled))) return undefined;
      this.log(final ? 'error' : 'warn', `${docPath}: ${message}${final ? '' : ` (attempt ${attempts}; retrying)`}`);
      // Exponential backoff with full jitter.
      return final ? undefined : Math.random() * Math.min(MAX_RETRY_DELAY_MS, this.config.retryBaseMs * 2 ** (attempts - 1));
    } finally {
      this.inFlight.delete(docPath);
      this.emitDocument(docPath);
      this.emitProgress();
      try {
        if (!signal.aborted) this.store.maybeCompact();
      } catch (e) {
        this.log('warn', `Compaction postponed: ${errorMessage(e)}`);
      }
    }
  }
}
