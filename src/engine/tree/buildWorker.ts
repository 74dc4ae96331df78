// Worker-thread entry of the BuildPool: builds documents with the embedded providers.
import { parentPort } from 'worker_threads';
import { LocalEmbedder } from '../embed/local';
import { ExtractiveSummarizer } from '../summarize/extractive';
import { clusterNodes } from '../cluster';
import type { BuildJob, BuildReply, ClusterJob } from './buildPool';
import { buildDocument } from './localBuild';

const providers = { embedder: new LocalEmbedder(), summarizer: new ExtractiveSummarizer() };
const running = new Map<number, AbortController>();

parentPort?.on('message', async (m: BuildJob | ClusterJob | { abort: number }) => {
  if ('abort' in m) {
    running.get(m.abort)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(m.id, controller);
  let reply: BuildReply;
  try {
    if (m.kind === 'cluster') {
      reply = { id: m.id, ok: true, clusters: clusterNodes(m.embeddings, m.tokenCounts, { ...m.opts, signal: controller.signal }) };
    } else {
      const tree = await buildDocument(m.absPath, m.docPath, m.config, providers, controller.signal);
      reply = { id: m.id, ok: true, tree };
    }
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { id: m.id, ok: false, error: { name: err.name, message: err.message } };
  } finally {
    running.delete(m.id);
  }
  const transfer = reply.ok && 'tree' in reply ? [...new Set(reply.tree.nodes.map((n) => n.embedding.buffer as ArrayBuffer))] : [];
  parentPort!.postMessage(reply, transfer);
});
