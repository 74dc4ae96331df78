// RAPTOR: Search Index — a QuickPick over collapsed-tree results from every layer. A leaf opens its document at the
// chunk's lines; a summary (or a chunk of a format the editor cannot show as text) opens as a markdown document.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { QueryHit } from '../engine/types';
import type { FolderIndex } from './folderIndex';

/** Formats whose extracted text has the same lines as the file, so a line range can be shown in the editor. */
const LINE_FAITHFUL = new Set(['.md', '.markdown', '.txt', '.rst']);

interface HitItem extends vscode.QuickPickItem {
  index: FolderIndex;
  hit: QueryHit;
}

export async function searchIndex(indexes: FolderIndex[], multiRoot: boolean, log: vscode.LogOutputChannel): Promise<void> {
  const text = await vscode.window.showInputBox({
    title: 'RAPTOR: Search Index',
    prompt: 'Search every layer of the RAPTOR trees (summaries and chunks)',
    placeHolder: 'e.g. what did the addresses say about tariffs?',
  });
  if (!text?.trim()) return;
  const results = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'RAPTOR: searching…' },
    async () => {
      const perFolder = await Promise.all(
        indexes.map(async (index) => {
          try {
            return (await index.query(text)).map((hit) => ({ index, hit }));
          } catch (e) {
            log.error(`${index.folder.name}: search failed: ${(e as Error).message}`);
            void vscode.window.showErrorMessage(`RAPTOR: search in ${index.folder.name} failed: ${(e as Error).message}`);
            return [];
          }
        }),
      );
      return perFolder.flat().sort((a, b) => b.hit.score - a.hit.score);
    },
  );
  if (results.length === 0) {
    void vscode.window.showInformationMessage(`RAPTOR: no results for "${text}". Is the workspace indexed?`);
    return;
  }
  const items: HitItem[] = results.map(({ index, hit }) => ({
    index,
    hit,
    label: `${hit.layer === 0 ? '$(file-text)' : '$(layers)'} ${multiRoot ? `${index.folder.name}/` : ''}${hit.doc}`,
    description: `${hit.layer === 0 ? 'chunk' : `layer ${hit.layer} summary`} · score ${hit.score.toFixed(3)}${
      hit.location ? ` · lines ${hit.location.lineStart}–${hit.location.lineEnd}` : ''
    }`,
    detail: hit.text.replace(/\s+/g, ' ').slice(0, 200),
  }));
  const pick = await vscode.window.showQuickPick(items, {
    title: `RAPTOR: ${items.length} results for "${text}"`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (pick) await openHit(pick.index, pick.hit);
}

export async function openHit(index: FolderIndex, hit: QueryHit): Promise<void> {
  const file = vscode.Uri.file(path.join(index.root, hit.doc));
  if (hit.layer === 0 && hit.location && LINE_FAITHFUL.has(path.extname(hit.doc).toLowerCase())) {
    const { lineStart, lineEnd } = hit.location;
    const selection = new vscode.Range(lineStart - 1, 0, Math.max(lineStart - 1, lineEnd - 1), Number.MAX_SAFE_INTEGER);
    await vscode.window.showTextDocument(file, { selection, preview: true });
    return;
  }
  const where = hit.location ? ` (lines ${hit.location.lineStart}–${hit.location.lineEnd}${hit.location.page ? `, page ${hit.location.page}` : ''})` : '';
  const heading = hit.layer === 0 ? `Chunk of ${hit.doc}${where}` : `Layer ${hit.layer} summary of ${hit.doc}`;
  const doc = await vscode.workspace.openTextDocument({
    language: 'markdown',
    content: `# ${heading}\n\n[Open ${hit.doc}](${file.toString()})\n\n${hit.text}\n`,
  });
  await vscode.window.showTextDocument(doc, { preview: true });
}
