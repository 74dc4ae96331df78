// The dashboard's three charts. chart.js is tree-shaken: only the controllers, elements and plugins registered
// here end up in the bundle. Colours come from CSS variables (which map to VS Code's --vscode-charts-*), read
// again whenever the theme changes, so light, dark and high-contrast themes all draw correctly.
import {
  ArcElement,
  Chart,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { color } from 'chart.js/helpers';
import type { ProgressSample, TaskSummary } from '../src/protocol/dashboard';

Chart.register(LineController, LineElement, PointElement, LinearScale, DoughnutController, ArcElement, Legend, Tooltip, Filler);

interface Palette {
  foreground: string;
  grid: string;
  completed: string;
  running: string;
  pending: string;
  failed: string;
  cancelled: string;
  throughput: string;
  prompt: string;
  completion: string;
  embedding: string;
  background: string;
  fontFamily: string;
}

function readPalette(): Palette {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    foreground: v('--raptor-chart-foreground', '#888'),
    grid: v('--raptor-chart-grid', 'rgba(128,128,128,0.3)'),
    completed: v('--raptor-chart-completed', '#388a34'),
    running: v('--raptor-chart-running', '#1a85ff'),
    pending: v('--raptor-chart-pending', '#bf8803'),
    failed: v('--raptor-chart-failed', '#e51400'),
    cancelled: v('--raptor-chart-cancelled', '#888'),
    throughput: v('--raptor-chart-throughput', '#652d90'),
    prompt: v('--raptor-chart-prompt', '#1a85ff'),
    completion: v('--raptor-chart-completion', '#652d90'),
    embedding: v('--raptor-chart-embedding', '#d18616'),
    background: v('--raptor-chart-background', '#1e1e1e'),
    fontFamily: v('--vscode-font-family', 'sans-serif'),
  };
}

const STATE_LABELS = ['Completed', 'Running', 'Pending', 'Failed', 'Cancelled'] as const;

function clockLabel(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function countLabel(value: number | string): string {
  const n = Number(value);
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}

type Point = { x: number; y: number };

function lineDataset(label: string, yAxisID = 'y'): ChartDataset<'line', Point[]> {
  return { label, data: [], yAxisID, pointRadius: 0, pointHitRadius: 6, borderWidth: 2, tension: 0.2 };
}

export class DashboardCharts {
  private readonly documents: Chart<'line', Point[]>;
  private readonly states: Chart<'doughnut', number[]>;
  private readonly tokens: Chart<'line', Point[]>;

  constructor(documentsCanvas: HTMLCanvasElement, statesCanvas: HTMLCanvasElement, tokensCanvas: HTMLCanvasElement) {
    // Updates arrive up to four times a second; animating each one would keep the CPU busy for nothing.
    const base = { animation: false as const, responsive: true, maintainAspectRatio: false };
    const timeAxis = {
      type: 'linear' as const,
      ticks: { callback: (v: number | string) => clockLabel(Number(v)), maxTicksLimit: 6, maxRotation: 0 },
    };
    this.documents = new Chart<'line', Point[]>(documentsCanvas, {
      type: 'line',
      data: {
        datasets: [
          { ...lineDataset('Completed'), fill: 'origin' },
          lineDataset('Failed'),
          { ...lineDataset('Docs/s', 'y1'), borderDash: [4, 3], borderWidth: 1.5 },
        ],
      },
      options: {
        ...base,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: timeAxis,
          y: { beginAtZero: true, title: { display: true, text: 'documents' }, ticks: { callback: countLabel, precision: 0 } },
          y1: { position: 'right', beginAtZero: true, title: { display: true, text: 'docs/s' }, grid: { drawOnChartArea: false } },
        },
        plugins: { tooltip: { callbacks: { title: (items) => clockLabel(items[0]?.parsed.x ?? 0) } } },
      },
    });
    this.states = new Chart(statesCanvas, {
      type: 'doughnut',
      data: { labels: [...STATE_LABELS], datasets: [{ data: [0, 0, 0, 0, 0], borderWidth: 2 }] },
      options: { ...base, cutout: '62%', plugins: { legend: { position: 'right' } } },
    });
    this.tokens = new Chart<'line', Point[]>(tokensCanvas, {
      type: 'line',
      data: { datasets: [lineDataset('Prompt'), lineDataset('Completion'), lineDataset('Embedding')] },
      options: {
        ...base,
        interaction: { mode: 'index', intersect: false },
        scales: { x: timeAxis, y: { beginAtZero: true, title: { display: true, text: 'tokens' }, ticks: { callback: countLabel } } },
        plugins: { tooltip: { callbacks: { title: (items) => clockLabel(items[0]?.parsed.x ?? 0) } } },
      },
    });
    this.applyTheme();
  }

  update(history: readonly ProgressSample[], task: TaskSummary | null): void {
    // The time axis spans the data exactly (a linear scale would otherwise round out to "nice" empty margins).
    // With no points yet, show the last minute rather than an axis of identical midnight labels.
    const last = history.at(-1)?.t ?? Date.now();
    const first = Math.min(history[0]?.t ?? last - 60_000, last - 1000);
    for (const chart of [this.documents, this.tokens]) {
      const x = chart.options.scales!['x']!;
      x.min = first;
      x.max = last;
    }
    const [completed, failed, rate] = this.documents.data.datasets;
    completed!.data = history.map((s) => ({ x: s.t, y: s.completed }));
    failed!.data = history.map((s) => ({ x: s.t, y: s.failed }));
    rate!.data = history.map((s) => ({ x: s.t, y: s.docsPerSecond }));
    this.documents.update('none');

    const [prompt, completion, embedding] = this.tokens.data.datasets;
    prompt!.data = history.map((s) => ({ x: s.t, y: s.tokens.prompt }));
    completion!.data = history.map((s) => ({ x: s.t, y: s.tokens.completion }));
    embedding!.data = history.map((s) => ({ x: s.t, y: s.tokens.embedding }));
    this.tokens.update('none');

    this.states.data.datasets[0]!.data = task
      ? [task.completed_documents, task.running_documents, task.pending_documents, task.failed_documents, task.cancelled_documents]
      : [0, 0, 0, 0, 0];
    this.states.update('none');
  }

  /** Re-reads the colours (call when VS Code switches theme). */
  applyTheme(): void {
    const p = readPalette();
    Chart.defaults.color = p.foreground;
    Chart.defaults.borderColor = p.grid;
    Chart.defaults.font.family = p.fontFamily;
    const translucent = (c: string) => {
      const parsed = color(c);
      return parsed.valid ? parsed.alpha(0.18).rgbString() : c;
    };
    const paint = (ds: ChartDataset<'line', Point[]>, colour: string) => {
      ds.borderColor = colour;
      ds.backgroundColor = translucent(colour);
    };
    const [completed, failed, rate] = this.documents.data.datasets;
    paint(completed!, p.completed);
    paint(failed!, p.failed);
    paint(rate!, p.throughput);
    const [prompt, completion, embedding] = this.tokens.data.datasets;
    paint(prompt!, p.prompt);
    paint(completion!, p.completion);
    paint(embedding!, p.embedding);
    const arcs = this.states.data.datasets[0]!;
    arcs.backgroundColor = [p.completed, p.running, p.pending, p.failed, p.cancelled];
    arcs.borderColor = p.background;
    for (const chart of [this.documents, this.tokens, this.states] as Chart[]) {
      for (const scale of Object.values(chart.options.scales ?? {})) {
        if (!scale) continue;
        scale.ticks = { ...scale.ticks, color: p.foreground };
        scale.grid = { ...scale.grid, color: p.grid };
        if ('title' in scale && scale.title) scale.title.color = p.foreground;
      }
      if (chart.options.plugins?.legend) chart.options.plugins.legend.labels = { ...chart.options.plugins.legend.labels, color: p.foreground };
      chart.update('none');
    }
  }

  destroy(): void {
    this.documents.destroy();
    this.states.destroy();
    this.tokens.destroy();
  }
}
