// `raptor`: the command-line interface over the same engine the extension drives.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, parseConfig, type IndexConfig, type IndexConfigInput } from '../engine/config';
import { ControlChannel } from '../engine/control';
import { providerConfigProblem } from '../engine/providers/factory';
import { defaultDbPath, indexExists, IndexOpenError, RaptorIndex, type RunOutcome } from '../engine/raptorIndex';
import type { EngineEvent, TaskStatus } from '../engine/types';
import { formatStatusTable, ProgressLine } from './render';

/** Exit codes are a public interface (documented in the README). */
export const EXIT = {
  /** Every document completed. */
  ok: 0,
  /** An unexpected internal error. */
  internal: 1,
  /** Bad input: missing folder, invalid flag or setting, unreadable/corrupt/newer database, index locked. */
  badInput: 2,
  /** The run finished, but some documents failed. */
  failedDocuments: 3,
  /** The task was paused or cancelled (resume with `raptor index` or `raptor resume`). */
  stopped: 4,
  /** The task itself failed (for example the index could not be written). */
  taskFailed: 5,
} as const;

class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number.`);
    return n;
  };
}
const collect = (v: string, prev: string[] = []) => [...prev, v];

interface DbOptions {
  db?: string;
}

function resolveDb(folder: string | undefined, opts: DbOptions): { root: string; dbPath: string } {
  const root = path.resolve(folder ?? '.');
  const dbPath = path.resolve(opts.db ?? defaultDbPath(root));
  return { root, dbPath };
}

/** Open, telling the user on stderr what opening had to repair (never silently). */
async function openIndex(opts: Parameters<typeof RaptorIndex.open>[0]): Promise<RaptorIndex> {
  const index = await RaptorIndex.open(opts);
  for (const w of index.openWarnings) process.stderr.write(`raptor: warning: ${w}\n`);
  return index;
}

async function openReadOnly(folder: string | undefined, opts: DbOptions): Promise<RaptorIndex> {
  const { root, dbPath } = resolveDb(folder, opts);
  return openIndex({ root, dbPath, readOnly: true });
}

function outcomeExit(o: RunOutcome): number {
  if (o.state === 'paused' || o.state === 'cancelled') return EXIT.stopped;
  if (o.state === 'failed') return EXIT.taskFailed;
  return o.failed > 0 ? EXIT.failedDocuments : EXIT.ok;
}

/** Drive a run to its end, rendering progress, pausing cleanly on SIGINT/SIGTERM. */
async function drive(index: RaptorIndex, folderForHint: string): Promise<number> {
  const out = process.stderr;
  const progress = new ProgressLine(out, !!out.isTTY);
  const unsubscribe = index.onEvent((e: EngineEvent) => progress.render(e));
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) {
      out.write('\nStopping now; every finished document is saved.\n');
      process.exit(EXIT.stopped);
    }
    progress.message(`${sig}: pausing — finished work is kept…`);
    index.pause(`Paused by ${sig}.`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await index.run();
    progress.finish();
    const s = index.status();
    const tok = s.token_count.total.toLocaleString('en-US');
    if (outcome.state === 'paused' || outcome.state === 'cancelled') {
      out.write(
        `${outcome.state === 'paused' ? 'Paused' : 'Cancelled'}: ${s.completed_documents}/${s.total_documents} documents done, ${tok} tokens` +
          `${outcome.message ? ` (${outcome.message})` : ''}. Run \`raptor index ${folderForHint}\` to ${outcome.state === 'paused' ? 'resume' : 'start again'}.\n`,
      );
    } else if (outcome.state === 'failed') {
      out.write(`${outcome.message}\n`);
    } else {
      out.write(
        `Done: ${s.completed_documents} completed, ${s.failed_documents} failed of ${s.total_documents} documents; ${tok} tokens.\n` +
          (s.failed_documents ? 'Run `raptor status` for the errors and `raptor retry-failed` to try them again.\n' : ''),
      );
    }
    return outcomeExit(outcome);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    unsubscribe();
    await index.close();
  }
}

interface IndexFlags extends DbOptions {
  summarizer?: string;
  embedder?: string;
  concurrency?: number;
  maxRetries?: number;
  include?: string[];
  exclude?: string[];
  checkpoints: boolean;
  chunkTokens?: number;
  tokenBudget?: number;
  baseUrl?: string;
  maxInFlight?: number;
  rpm?: number;
  tpm?: number;
  dryRun?: boolean;
  json?: boolean;
}

function configFromFlags(f: IndexFlags): IndexConfigInput {
  const c: Record<string, unknown> = {};
  if (f.summarizer !== undefined) c.summarizer = f.summarizer;
  if (f.embedder !== undefined) c.embedder = f.embedder;
  if (f.concurrency !== undefined) c.concurrency = f.concurrency;
  if (f.maxRetries !== undefined) c.maxRetries = f.maxRetries;
  if (f.include?.length) c.include = f.include;
  if (f.exclude?.length) c.exclude = f.exclude;
  if (!f.checkpoints) c.checkpoints = false;
  if (f.chunkTokens !== undefined) c.chunkTokens = f.chunkTokens;
  const provider: Record<string, unknown> = {};
  if (f.tokenBudget !== undefined) provider.tokenBudget = f.tokenBudget;
  if (f.baseUrl !== undefined) provider.baseUrl = f.baseUrl;
  if (f.maxInFlight !== undefined) provider.maxInFlight = f.maxInFlight;
  if (f.rpm !== undefined) provider.requestsPerMinute = f.rpm;
  if (f.tpm !== undefined) provider.tokensPerMinute = f.tpm;
  if (Object.keys(provider).length) c.provider = provider;
  return c as IndexConfigInput;
}

function refuseUnusableProvider(config: IndexConfig): void {
  const problem = providerConfigProblem(config, process.env);
  if (problem) throw new UserError(problem);
}

function print(json: unknown): void {
  process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('raptor')
    .description('Build checkpointed RAPTOR trees over a folder of documents, and search them.')
    .version('0.1.0')
    .showHelpAfterError('(run `raptor --help` for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })
    .exitOverride();

  const dbOption = () => new Option('--db <file>', 'index database (default: <folder>/.raptor/index.db)');

  program
    .command('index')
    .description('index the documents of a folder (resumes where a previous run stopped)')
    .argument('<folder>', 'folder to index')
    .addOption(dbOption())
    .option('--summarizer <kind>', 'extractive (default) or openai:MODEL')
    .option('--embedder <kind>', 'local (default) or openai:MODEL')
    .option('--concurrency <n>', 'documents in flight at once (default 2)', positiveInt('--concurrency'))
    .option('--max-retries <n>', 'automatic retries of a failed document (default 3)', positiveInt('--max-retries'))
    .option('--include <glob>', 'files to index (repeatable)', collect)
    .option('--exclude <glob>', 'files to skip (repeatable)', collect)
    .option('--chunk-tokens <n>', 'leaf chunk size in tokens (default 100)', positiveInt('--chunk-tokens'))
    .option('--token-budget <n>', 'pause the task before it spends more tokens than this', positiveInt('--token-budget'))
    .option('--base-url <url>', 'OpenAI-compatible server (default: $OPENAI_BASE_URL)')
    .option('--max-in-flight <n>', 'provider requests in flight at once', positiveInt('--max-in-flight'))
    .option('--rpm <n>', 'provider requests per minute', positiveInt('--rpm'))
    .option('--tpm <n>', 'provider tokens per minute', positiveInt('--tpm'))
    .option('--no-checkpoints', 'run without persisting progress (nothing is saved)')
    .option('--dry-run', 'estimate calls and tokens for the pending documents; change nothing')
    .option('--json', 'with --dry-run: print the estimate as JSON')
    .action(async (folder: string, flags: IndexFlags) => {
      const root = path.resolve(folder);
      if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UserError(`The folder ${folder} does not exist.`);
      const config = configFromFlags(flags);
      if (flags.dryRun) {
        const dbPath = path.resolve(flags.db ?? defaultDbPath(root));
        // Change nothing: read an existing index; without one, plan in memory.
        const exists = indexExists(dbPath);
        const index = await RaptorIndex.open({ root, dbPath, config: exists ? config : { ...config, checkpoints: false }, readOnly: exists });
        let estimate;
        try {
          estimate = await index.estimate();
        } finally {
          await index.close();
        }
        if (flags.json) print(estimate);
        else {
          process.stdout.write(
            `Estimate for ${estimate.documents} pending document(s): ${estimate.calls.summary} summary call(s), ${estimate.calls.embedding} embedding call(s); ` +
              `${estimate.tokens.prompt.toLocaleString('en-US')} prompt + ${estimate.tokens.completion.toLocaleString('en-US')} completion + ` +
              `${estimate.tokens.embedding.toLocaleString('en-US')} embedding = ${estimate.tokens.total.toLocaleString('en-US')} tokens.\n`,
          );
        }
        return;
      }
      const dbPath = path.resolve(flags.db ?? defaultDbPath(root));
      // A remote provider that cannot work (no API key for OpenAI, say) is refused now, not after every document
      // fails — and before anything is created on disk for a new index.
      if (!indexExists(dbPath)) refuseUnusableProvider(parseConfig(config));
      const index = await openIndex({ root, dbPath, config });
      try {
        refuseUnusableProvider(index.config);
      } catch (e) {
        await index.close();
        throw e;
      }
      setExit(await drive(index, folder));
    });

  program
    .command('status')
    .description('show the task and every document’s state')
    .argument('[folder]', 'indexed folder (default: current folder)')
    .addOption(dbOption())
    .option('--json', 'machine-readable output')
    .action(async (folder: string | undefined, opts: DbOptions & { json?: boolean }) => {
      const index = await openReadOnly(folder, opts);
      try {
        const s: TaskStatus = index.status();
        if (opts.json) {
          const { running_documents: _r, cancelled_documents: _c, created_at: _ca, message: _m, ...rest } = s;
          print({ ...rest, running_documents: s.running_documents, cancelled_documents: s.cancelled_documents, message: s.message });
        } else process.stdout.write(formatStatusTable(s, !!process.stdout.isTTY));
      } finally {
        await index.close();
      }
    });

  program
    .command('query')
    .description('search the index (collapsed-tree retrieval over every layer)')
    .argument('<text>', 'question or keywords')
    .argument('[folder]', 'indexed folder (default: current folder)')
    .addOption(dbOption())
    .option('--top-k <n>', 'results at most (default 10)', positiveInt('--top-k'))
    .option('--max-tokens <n>', 'stop adding results past this many tokens (default 2000)', positiveInt('--max-tokens'))
    .addOption(new Option('--mode <mode>', 'retrieval mode').choices(['collapsed', 'traversal']).default('collapsed'))
    .option('--json', 'machine-readable output')
    .action(async (text: string, folder: string | undefined, opts: DbOptions & { topK?: number; maxTokens?: number; mode: 'collapsed' | 'traversal'; json?: boolean }) => {
      const index = await openReadOnly(folder, opts);
      try {
        const hits = await index.query(text, { topK: opts.topK, maxTokens: opts.maxTokens, mode: opts.mode });
        if (opts.json) print(hits.map(({ id, doc, layer, score, text: t }) => ({ id, doc, layer, score, text: t })));
        else if (hits.length === 0) process.stdout.write(text.trim() ? 'No results: the index holds no documents yet.\n' : 'No results: the query is empty.\n');
        else {
          for (const [i, h] of hits.entries()) {
            const where = h.location ? `:${h.location.lineStart}` : '';
            const snippet = h.text.replace(/\s+/g, ' ');
            process.stdout.write(
              `${i + 1}. ${h.doc}${where}  [layer ${h.layer}${h.layer ? ' summary' : ''}, score ${h.score.toFixed(3)}]\n   ${snippet.length > 240 ? `${snippet.slice(0, 239)}…` : snippet}\n`,
            );
          }
        }
      } finally {
        await index.close();
      }
    });

  program
    .command('export')
    .description('print every tree node as JSON Lines {id, doc, layer, text, children, token_count}')
    .argument('[folder]', 'indexed folder (default: current folder)')
    .addOption(dbOption())
    .action(async (folder: string | undefined, opts: DbOptions) => {
      const index = await openReadOnly(folder, opts);
      try {
        for (const n of index.exportNodes()) {
          if (!process.stdout.write(`${JSON.stringify(n)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
        }
      } finally {
        await index.close();
      }
    });

  for (const command of ['pause', 'cancel'] as const) {
    program
      .command(command)
      .description(command === 'pause' ? 'pause the task (finished work is kept)' : 'cancel the task (pending documents become cancelled)')
      .argument('[folder]', 'indexed folder (default: current folder)')
      .addOption(dbOption())
      .action(async (folder: string | undefined, opts: DbOptions) => {
        const { root, dbPath } = resolveDb(folder, opts);
        if (!indexExists(dbPath)) throw new UserError(`There is no index at ${dbPath}.`);
        let index: RaptorIndex;
        try {
          index = await openIndex({ root, dbPath });
        } catch (e) {
          if (e instanceof IndexOpenError && e.reason === 'locked') {
            // Another process is indexing: it polls the control file and stops within about a second.
            ControlChannel.send(dbPath, command);
            process.stdout.write(`Asked the running indexer to ${command}.\n`);
            return;
          }
          throw e;
        }
        try {
          const before = index.status().status;
          if (before === 'completed' || (command === 'pause' && (before === 'paused' || before === 'cancelled'))) {
            process.stdout.write(`Nothing to ${command}: the task is ${before}.\n`);
            return;
          }
          if (command === 'pause') index.pause('Paused by `raptor pause`.');
          else index.cancel();
          process.stdout.write(`Task ${command === 'pause' ? 'paused' : 'cancelled'}.\n`);
        } finally {
          await index.close();
        }
      });
  }

  for (const command of ['resume', 'retry-failed'] as const) {
    program
      .command(command)
      .description(command === 'resume' ? 'resume a paused or interrupted task' : 'queue failed documents again and resume')
      .argument('[folder]', 'indexed folder (default: the folder the index was built from)')
      .addOption(dbOption())
      .action(async (folder: string | undefined, opts: DbOptions) => {
        const { dbPath } = resolveDb(folder, opts);
        if (!indexExists(dbPath)) throw new UserError(`There is no index at ${dbPath}.`);
        let root = path.resolve(folder ?? '.');
        if (!folder) {
          const ro = await RaptorIndex.open({ root, dbPath, readOnly: true });
          root = ro.storedRoot() ?? root;
          await ro.close();
        }
        if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UserError(`The folder ${root} does not exist.`);
        const index = await openIndex({ root, dbPath });
        try {
          refuseUnusableProvider(index.config);
        } catch (e) {
          await index.close();
          throw e;
        }
        if (command === 'retry-failed') {
          const n = index.retryFailed();
          process.stderr.write(`${n} document(s) queued again.\n`);
        }
        setExit(await drive(index, folder ?? root));
      });
  }
  return program;
}

/** One clear sentence for anything a user can cause; a stack trace only for our own bugs, and only with DEBUG. */
export async function main(argv: string[]): Promise<number> {
  // `raptor export | head`: the reader went away; that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT.ok);
  });
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.badInput;
    }
    if (e instanceof UserError || e instanceof ConfigError || e instanceof IndexOpenError || (e instanceof Error && e.name === 'ProviderError')) {
      process.stderr.write(`raptor: ${e.message}\n`);
      return EXIT.badInput;
    }
    if (e instanceof Error && e.name === 'StorageWriteError') {
      // The disk refused a write (full, read-only): what was committed before is intact; the message says what to do.
      process.stderr.write(`raptor: ${e.message}\n`);
      return EXIT.taskFailed;
    }
    process.stderr.write(`raptor: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.DEBUG) process.stderr.write(`${e instanceof Error ? e.stack : ''}\n`);
    return EXIT.internal;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = EXIT.internal;
    },
  );
}
