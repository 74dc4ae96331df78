// The whole build of one document with the embedded providers (read → chunk → embed → cluster → summarise), as one
// function of plain data, so it can run in a worker thread as well as in-process.
import { chunkDocument } from '../chunk/chunker';
import type { IndexConfig } from '../config';
import { readDocument } from '../documents/read';
import type { Embedder, Summarizer } from '../ports';
import { buildTree, type BuiltTree, type ClusterFn } from './treeBuilder';

/** The file was read but holds nothing to index: final on the first attempt. */
export class EmptyDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmptyDocumentError';
  }
}

export type LocalBuildConfig = Pick<IndexConfig, 'chunkTokens' | 'summaryMaxTokens' | 'clusterMaxTokens' | 'maxLayers' | 'seed'>;

export async function buildDocument(
  absPath: string,
  docPath: string,
  config: LocalBuildConfig,
  providers: { embedder: Embedder; summarizer: Summarizer; cluster?: ClusterFn },
  signal: AbortSignal,
  onUsage?: (u: Parameters<NonNullable<Parameters<typeof buildTree>[2]['onUsage']>>[0]) => void,
): Promise<BuiltTree> {
  const parsed = await readDocument(absPath, signal);
  const chunks = chunkDocument(parsed, { chunkTokens: config.chunkTokens });
  if (chunks.length === 0) throw new EmptyDocumentError(`${docPath} contains no text to index.`);
  return buildTree(docPath, chunks, { ...providers, config, signal, onUsage });
}
