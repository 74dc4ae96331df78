// Finds the documents of a folder: include/exclude globs, .gitignore files as git reads them
// (root and nested, deeper files win, an ignored folder is never entered), and never our own
// index folder or VCS/dependency folders.
import * as fs from 'fs';
import * as path from 'path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { throwIfAborted } from '../ports';

export interface DiscoveredFile {
  /** Relative to the root, forward slashes. */
  path: string;
  absPath: string;
  size: number;
  mtimeMs: number;
}

export interface DiscoverOptions {
  include: string[];
  exclude: string[];
  signal?: AbortSignal;
}

/** Folders never searched, wherever they are: our index, VCS metadata, dependencies. */
export const ALWAYS_SKIPPED_FOLDERS: ReadonlySet<string> = new Set(['.raptor', '.git', 'node_modules']);

/** The folder to index cannot be searched; the message is one sentence for the user. */
export class DiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscoveryError';
  }
}

interface GitignoreLevel {
  /** Folder of the .gitignore, relative to the root ('' for the root), forward slashes. */
  dir: string;
  rules: Ignore;
}

export async function discoverDocuments(root: string, opts: DiscoverOptions): Promise<DiscoveredFile[]> {
  const rootStat = await fs.promises.stat(root).catch(() => undefined);
  if (!rootStat) throw new DiscoveryError(`The folder ${root} does not exist.`);
  if (!rootStat.isDirectory()) throw new DiscoveryError(`${root} is a file, not a folder.`);
  const rootReal = await fs.promises.realpath(root);
  // Dot folders are skipped by `**` like in most glob tools (.venv, .cache, .vscode are rarely documents);
  // a pattern that names one explicitly (".notes/**") still matches.
  const isIncluded = picomatch(opts.include.map(relativePattern), { dot: false });
  const isExcluded = opts.exclude.length ? picomatch(opts.exclude.map(relativePattern), { dot: true }) : () => false;
  const found: DiscoveredFile[] = [];
  const visitedDirs = new Set<string>();

  async function walk(absDir: string, relDir: string, levels: GitignoreLevel[]): Promise<void> {
    throwIfAborted(opts.signal);
    const real = await fs.promises.realpath(absDir);
    if (visitedDirs.has(real)) return; // a symlink loop, or a folder reached twice through links
    visitedDirs.add(real);

    const here = await readGitignore(absDir, relDir);
    const active = here ? [...levels, here] : levels;
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(absDir, { withFileTypes: true });
    } catch {
      return; // unreadable folder: nothing to index there (git skips it too)
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      const abs = path.join(absDir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        // Follow links only while they stay inside the root: a link to / must not index the disk.
        const target = await fs.promises.realpath(abs).catch(() => undefined);
        if (!target || !isInside(rootReal, target)) continue;
        const st = await fs.promises.stat(target).catch(() => undefined);
        isDir = !!st?.isDirectory();
        isFile = !!st?.isFile();
      }
      if (isDir) {
        if (ALWAYS_SKIPPED_FOLDERS.has(entry.name)) continue;
        if (isGitIgnored(active, rel, true)) continue;
        await walk(abs, rel, active);
      } else if (isFile) {
        if (!isIncluded(rel) || isExcluded(rel) || isGitIgnored(active, rel, false)) continue;
        const st = await fs.promises.stat(abs).catch(() => undefined);
        if (!st) continue; // deleted while we looked
        found.push({ path: rel, absPath: abs, size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  }

  await walk(root, '', []);
  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return found;
}

/** Patterns are relative to the root: "./docs/**" means "docs/**", and Windows separators are accepted. */
function relativePattern(p: string): string {
  return p.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

async function readGitignore(absDir: string, relDir: string): Promise<GitignoreLevel | undefined> {
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(absDir, '.gitignore'), 'utf8');
  } catch {
    return undefined;
  }
  return { dir: relDir, rules: ignore().add(text) };
}

/** Git's precedence: the last matching rule wins, and rules of deeper .gitignore files come later. */
function isGitIgnored(levels: GitignoreLevel[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const level of levels) {
    const local = level.dir ? rel.slice(level.dir.length + 1) : rel;
    const r = level.rules.test(isDir ? `${local}/` : local);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

function isInside(rootReal: string, target: string): boolean {
  const rel = path.relative(rootReal, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
