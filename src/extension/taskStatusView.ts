// Pure views of task status shared by the status bar, the tree and the dashboard controller (no vscode here,
// so they are unit-tested in plain Node).
import type { DocumentStatus, TaskState, TaskStatus } from '../engine/types';

export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 999_500) return `${trim(n / 1000)}k`;
  return `${trim(n / 1_000_000)}M`;
}

function trim(x: number): string {
  return (x >= 100 ? x.toFixed(0) : x.toFixed(1)).replace(/\.0$/, '');
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Which task state wins when several folders are shown as one: what needs the user's attention first. */
const MERGE_PRIORITY: TaskState[] = ['running', 'paused', 'failed', 'pending', 'cancelled', 'completed'];

export interface FolderStatus {
  /** Workspace folder name, used to prefix paths when there is more than one folder. */
  folderName: string;
  status: TaskStatus;
}

/** One status over all workspace folders. With several folders, document paths become `folder/path`. */
export function mergeStatuses(folders: FolderStatus[]): TaskStatus | undefined {
  if (folders.length === 0) return undefined;
  if (folders.length === 1) return folders[0]!.status;
  const all = folders.map((f) => f.status);
  const sum = (pick: (s: TaskStatus) => number) => all.reduce((acc, s) => acc + pick(s), 0);
  const earliest = (pick: (s: TaskStatus) => string | null) => all.map(pick).filter((x): x is string => !!x).sort()[0] ?? null;
  const latest = (pick: (s: TaskStatus) => string | null) => all.map(pick).filter((x): x is string => !!x).sort().at(-1) ?? null;
  const state = MERGE_PRIORITY.find((p) => all.some((s) => s.status === p)) ?? 'pending';
  const total = sum((s) => s.total_documents);
  const completed = sum((s) => s.completed_documents);
  return {
    task_id: all.map((s) => s.task_id).join('+'),
    status: state,
    total_documents: total,
    completed_documents: completed,
    failed_documents: sum((s) => s.failed_documents),
    pending_documents: sum((s) => s.pending_documents),
    running_documents: sum((s) => s.running_documents),
    cancelled_documents: sum((s) => s.cancelled_documents),
    progress: total === 0 ? 0 : completed / total,
    token_count: {
      prompt: sum((s) => s.token_count.prompt),
      completion: sum((s) => s.token_count.completion),
      embedding: sum((s) => s.token_count.embedding),
      total: sum((s) => s.token_count.total),
    },
    created_at: earliest((s) => s.created_at),
    started_at: earliest((s) => s.started_at),
    paused_at: latest((s) => s.paused_at),
    resumed_at: latest((s) => s.resumed_at),
    completed_at: all.every((s) => s.completed_at) ? latest((s) => s.completed_at) : null,
    message: all.map((s) => s.message).find((m) => m) ?? null,
    documents: folders.flatMap((f) =>
      f.status.documents.map((d): DocumentStatus => ({ ...d, path: `${f.folderName}/${d.path}` })),
    ),
  };
}

export interface StatusBarView {
  visible: boolean;
  text: string;
  tooltip: string;
  /** Show the warning background: some documents failed. */
  warning: boolean;
}

const STATE_ICON: Record<TaskState, string> = {
  running: '$(sync~spin)',
  paused: '$(debug-pause)',
  completed: '$(check)',
  failed: '$(error)',
  cancelled: '$(circle-slash)',
  pending: '$(circle-outline)',
};

/** The status bar item's text: `$(sync~spin) 12/40 · 1.2k tok` while running; hidden when there is no task. */
export function statusBarView(status: TaskStatus | undefined): StatusBarView {
  if (!status || status.total_documents === 0) return { visible: false, text: '', tooltip: '', warning: false };
  const s = status;
  const parts = [`${STATE_ICON[s.status]} ${s.completed_documents}/${s.total_documents}`];
  if (s.token_count.total > 0) parts.push(`${formatTokens(s.token_count.total)} tok`);
  if (s.failed_documents > 0) parts.push(`${s.failed_documents} failed`);
  const tooltip = [
    `RAPTOR index: ${s.status}${s.message ? ` — ${s.message}` : ''}`,
    `${s.completed_documents} completed, ${s.running_documents} running, ${s.pending_documents} pending, ` +
      `${s.failed_documents} failed, ${s.cancelled_documents} cancelled (of ${s.total_documents})`,
    `Tokens: ${formatTokens(s.token_count.total)} (prompt ${s.token_count.prompt}, completion ${s.token_count.completion}, ` +
      `embedding ${s.token_count.embedding})`,
    'Click to open the dashboard.',
  ].join('\n');
  return { visible: true, text: parts.join(' · '), tooltip, warning: s.failed_documents > 0 };
}
