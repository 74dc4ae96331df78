// Cross-process control of a running index. sql.js gives each process its own in-memory copy of the database, so a
// flag written into the index by a second process would be overwritten by the runner's next save. Instead the second
// process drops a small control file beside the database; the runner polls for it (every 500 ms) and acts on it.
import * as fs from 'fs';

export type ControlCommand = 'pause' | 'cancel';

export class ControlChannel {
  readonly file: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(dbPath: string) {
    this.file = `${dbPath}.control`;
  }

  /** Ask the process that writes this index to pause or cancel. */
  static send(dbPath: string, command: ControlCommand): void {
    const file = `${dbPath}.control`;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ command, pid: process.pid, at: new Date().toISOString() }));
    fs.renameSync(tmp, file);
  }

  start(onCommand: (c: ControlCommand) => void, intervalMs = 500): void {
    this.stop();
    this.take(); // a stale request from before this run must not stop it
    this.timer = setInterval(() => {
      const c = this.take();
      if (c) onCommand(c);
    }, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
  }

  private take(): ControlCommand | undefined {
    let raw: string;
    try {
      raw = fs.readFileSync(this.file, 'utf8');
      fs.unlinkSync(this.file);
    } catch {
      return undefined;
    }
    try {
      const c = (JSON.parse(raw) as { command?: unknown }).command;
      return c === 'pause' || c === 'cancel' ? c : undefined;
    } catch {
      return undefined;
    }
  }
}
