// Terminal rendering for the CLI: a live progress line on a terminal, plain lines otherwise, and the status table.
import type { EngineEvent, TaskStatus } from '../engine/types';

export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 2 : 1)}M`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

type Progress = Extract<EngineEvent, { type: 'progress' }>;

export function progressText(p: Progress): string {
  const done = p.completed + p.failed;
  const width = 20;
  const filled = p.total ? Math.round((done / p.total) * width) : 0;
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  return (
    `${bar} ${done}/${p.total} docs` +
    (p.failed ? ` · ${p.failed} failed` : '') +
    ` · ${formatTokens(p.tokens.total)} tok · ${p.docsPerSecond.toFixed(2)} docs/s · ETA ${formatDuration(p.etaSeconds)}`
  );
}

/** A live line on a terminal (redrawn at most 10 times a second); plain lines otherwise (one per finished document). */
export class ProgressLine {
  private last: Progress | undefined;
  private lastDraw = 0;
  private drawn = false;
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
  ) {}

  render(e: EngineEvent): void {
    if (e.type === 'progress') {
      this.last = e;
      if (this.tty && Date.now() - this.lastDraw > 100) this.draw();
    } else if (e.type === 'document/state' && (e.state === 'completed' || e.state === 'failed')) {
      if (!this.tty) this.out.write(`${e.state === 'completed' ? 'done' : 'FAILED'} ${e.path}${e.error ? `: ${e.error}` : ''}\n`);
      else if (e.state === 'failed') this.message(`failed: ${e.path}: ${e.error ?? ''}`);
    } else if (e.type === 'log' && (e.level === 'warn' || e.level === 'error') && !(e.level === 'error' && !this.tty)) {
      // Without a terminal a document's final failure is already its FAILED line.
      if (this.tty) this.message(e.message);
      else this.out.write(`${e.level}: ${e.message}\n`);
    }
  }

  message(text: string): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[2K');
    this.out.write(`${text}\n`);
    if (this.tty) this.draw();
  }

  finish(): void {
    if (this.last) {
      if (this.tty) {
        this.draw();
        this.out.write('\n');
      } else this.out.write(`${progressText(this.last)}\n`);
    }
    this.drawn = false;
  }

  private draw(): void {
    if (!this.last) return;
    this.lastDraw = Date.now();
    this.out.write(`\r\x1b[2K${progressText(this.last)}`);
    this.drawn = true;
  }
}

function pad(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

export function formatStatusTable(s: TaskStatus, tty: boolean): string {
  const lines: string[] = [];
  const pct = Math.round(s.progress * 100);
  lines.push(`Task ${s.task_id || '(none)'}: ${s.status}${s.message ? ` — ${s.message}` : ''}`);
  lines.push(
    `Documents: ${s.total_documents} total · ${s.completed_documents} completed · ${s.failed_documents} failed · ${s.pending_documents} pending` +
      (s.running_documents ? ` · ${s.running_documents} running` : '') +
      (s.cancelled_documents ? ` · ${s.cancelled_documents} cancelled` : '') +
      ` (${pct}%)`,
  );
  const t = s.token_count;
  lines.push(`Tokens: ${t.total.toLocaleString('en-US')} (prompt ${t.prompt.toLocaleString('en-US')}, completion ${t.completion.toLocaleString('en-US')}, embedding ${t.embedding.toLocaleString('en-US')})`);
  const times = [
    ['started', s.started_at],
    ['paused', s.paused_at],
    ['resumed', s.resumed_at],
    ['completed', s.completed_at],
  ].filter(([, v]) => v);
  if (times.length) lines.push(times.map(([k, v]) => `${k} ${v}`).join(' · '));
  if (s.documents.length) {
    const w = Math.min(48, Math.max(8, ...s.documents.map((d) => d.path.length)));
    lines.push('');
    lines.push(`${pad('DOCUMENT', w)}  ${pad('STATE', 9)}  ${'CHUNKS'.padStart(6)}  ${'NODES'.padStart(5)}  ${'LAYERS'.padStart(6)}  ${'TOKENS'.padStart(7)}  RETRIES`);
    for (const d of s.documents) {
      lines.push(
        `${pad(d.path, w)}  ${pad(d.state + (d.stale ? '*' : ''), 9)}  ${String(d.chunks).padStart(6)}  ${String(d.nodes).padStart(5)}  ${String(d.layers).padStart(6)}  ${formatTokens(d.token_count.total).padStart(7)}  ${d.retry_count}`,
      );
      if (d.error) lines.push(`${' '.repeat(Math.min(w, 4))}  ↳ ${d.error}`);
    }
  }
  void tty;
  return `${lines.join('\n')}\n`;
}
