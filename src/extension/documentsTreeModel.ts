// What the Documents tree shows, as plain data: groups by state with counts, and one row per document with its
// icon, description and tooltip. The vscode TreeDataProvider only converts these specs, so this is unit-tested
// in plain Node.
import type { DocumentStatus, TaskStatus } from '../engine/types';
import { formatDuration, formatTokens } from './taskStatusView';

/** A document is in exactly one group. Stale (changed since indexed) is its own group so users see what the next run redoes. */
export const DOCUMENT_GROUPS = ['running', 'pending', 'failed', 'completed', 'cancelled', 'stale'] as const;
export type DocumentGroup = (typeof DOCUMENT_GROUPS)[number];

const GROUP_LABEL: Record<DocumentGroup, string> = {
  running: 'Running',
  pending: 'Pending',
  failed: 'Failed',
  completed: 'Completed',
  cancelled: 'Cancelled',
  stale: 'Stale',
};
/** Always shown, even when empty, so the shape of the tree is stable while indexing. */
const ALWAYS_SHOWN: ReadonlySet<DocumentGroup> = new Set(['running', 'pending', 'failed', 'completed']);

export interface FolderDocuments {
  folderName: string;
  /** Absolute path of the workspace folder (the index root). */
  root: string;
  status: TaskStatus;
}

export type DocumentsTreeNode =
  | { kind: 'group'; group: DocumentGroup; count: number }
  | { kind: 'document'; group: DocumentGroup; folderName: string; root: string; doc: DocumentStatus; multiRoot: boolean };

export interface TreeItemSpec {
  id: string;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip?: string;
  icon: { id: string; color?: string };
  contextValue: string;
  collapsible: 'none' | 'expanded' | 'collapsed';
  /** Absolute path to open on click (documents only). */
  openPath?: string;
}

export function groupOf(doc: DocumentStatus): DocumentGroup {
  // A failed document stays under Failed when its file changes: that is what the user is watching to retry.
  if (doc.state === 'running' || doc.state === 'failed') return doc.state;
  if (doc.stale) return 'stale';
  return doc.state;
}

export function rootNodes(folders: FolderDocuments[]): DocumentsTreeNode[] {
  const counts = new Map<DocumentGroup, number>(DOCUMENT_GROUPS.map((g) => [g, 0]));
  for (const f of folders) for (const d of f.status.documents) counts.set(groupOf(d), counts.get(groupOf(d))! + 1);
  return DOCUMENT_GROUPS.filter((g) => ALWAYS_SHOWN.has(g) || counts.get(g)! > 0).map((group) => ({
    kind: 'group',
    group,
    count: counts.get(group)!,
  }));
}

export function documentNodes(folders: FolderDocuments[], group: DocumentGroup): DocumentsTreeNode[] {
  const multiRoot = folders.length > 1;
  return folders
    .flatMap((f) =>
      f.status.documents
        .filter((doc) => groupOf(doc) === group)
        .map((doc): DocumentsTreeNode => ({ kind: 'document', group, folderName: f.folderName, root: f.root, doc, multiRoot })),
    )
    .sort((a, b) => label(a).localeCompare(label(b)));
}

function label(n: DocumentsTreeNode): string {
  if (n.kind === 'group') return GROUP_LABEL[n.group];
  return n.multiRoot ? `${n.folderName}/${n.doc.path}` : n.doc.path;
}

const DOC_ICON: Record<DocumentGroup, { id: string; color?: string }> = {
  running: { id: 'loading~spin' },
  pending: { id: 'circle-outline' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  completed: { id: 'pass', color: 'testing.iconPassed' },
  cancelled: { id: 'circle-slash', color: 'disabledForeground' },
  stale: { id: 'history', color: 'list.warningForeground' },
};

/** "chunks · layers · tokens · duration", leaving out what is not known yet. */
export function documentDescription(doc: DocumentStatus, now: number): string {
  const parts: string[] = [];
  if (doc.stale && doc.state === 'failed') parts.push('changed since');
  if (doc.chunks > 0) parts.push(`${doc.chunks} chunk${doc.chunks === 1 ? '' : 's'}`);
  if (doc.layers > 0) parts.push(`${doc.layers} layer${doc.layers === 1 ? '' : 's'}`);
  if (doc.token_count.total > 0) parts.push(`${formatTokens(doc.token_count.total)} tok`);
  const ms = durationMs(doc, now);
  if (ms !== undefined) parts.push(formatDuration(ms));
  if (doc.state === 'failed' && doc.error) parts.push(firstLine(doc.error));
  return parts.join(' · ');
}

function durationMs(doc: DocumentStatus, now: number): number | undefined {
  if (!doc.started_at) return undefined;
  const start = Date.parse(doc.started_at);
  const end = doc.completed_at ? Date.parse(doc.completed_at) : doc.state === 'running' ? now : undefined;
  return end === undefined || Number.isNaN(start) || Number.isNaN(end) ? undefined : end - start;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0]!;
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

export function treeItemSpec(node: DocumentsTreeNode, now: number): TreeItemSpec {
  if (node.kind === 'group') {
    return {
      id: `group:${node.group}`,
      label: `${GROUP_LABEL[node.group]} (${node.count})`,
      // An empty Running group must not spin: nothing is happening.
      icon: node.group === 'running' && node.count === 0 ? { id: 'loading' } : DOC_ICON[node.group],
      contextValue: `group.${node.group}`,
      // Failed and running are what the user acts on; the long completed list starts folded.
      collapsible: node.count === 0 ? 'none' : node.group === 'completed' || node.group === 'pending' ? 'collapsed' : 'expanded',
    };
  }
  const { doc } = node;
  const tooltip = [
    `**${escapeMarkdown(label(node))}**`,
    '',
    `State: ${doc.state}${doc.stale ? ' (changed since indexed)' : ''}`,
    `Started: ${doc.started_at ?? '—'}`,
    `Completed: ${doc.completed_at ?? '—'}`,
    `Retries: ${doc.retry_count}`,
    `Chunks: ${doc.chunks} · nodes: ${doc.nodes} · layers: ${doc.layers} · tokens: ${doc.token_count.total}`,
    ...(doc.error ? ['', `Error: ${escapeMarkdown(doc.error)}`] : []),
  ].join('  \n');
  return {
    id: `doc:${node.root}:${doc.path}`,
    label: label(node),
    description: documentDescription(doc, now),
    tooltip,
    icon: DOC_ICON[node.group],
    contextValue: `document.${node.group}`,
    collapsible: 'none',
    openPath: `${node.root.replace(/[\\/]+$/, '')}/${doc.path}`,
  };
}
