// Thread entry (bundled to dist/engineWorker.js): the engine and its sql.js store run here, so indexing never
// blocks the extension host's event loop. API keys arrive in this thread's env (process.env), never in messages.
import { parentPort } from 'node:worker_threads';
import type { IndexConfigInput } from '../config';
import { RaptorIndex } from '../raptorIndex';
import { serveEngine } from './engineServer';

if (!parentPort) throw new Error('engineWorker must run in a worker thread.');
serveEngine(
  parentPort,
  ({ root, dbPath, config, summarizer, readOnly }) =>
    RaptorIndex.open({ root, dbPath, config: config as IndexConfigInput, summarizer, readOnly, env: process.env }),
  (e) => console.error(e.message),
);
