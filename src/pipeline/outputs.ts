// Writes what a run leaves behind: report.json, report.md and the model bundle, each atomically.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, replaceDirAtomic } from '../util/fs-atomic.js';
import { renderReportMarkdown } from '../report/markdown.js';
import { renderModelCard } from '../report/model-card.js';
import type { Report } from '../domain/types.js';
import { writeManifest } from '../bundle/manifest.js';
import type { SavedModel } from '../model/export.js';

export interface WrittenOutputs {
  outDir: string;
  reportPath: string;
  markdownPath: string;
  modelDir?: string;
  /** sha256 of the bundle's sha256sums.txt: one digest for the whole bundle. */
  modelSha256?: string;
}

export function writeReports(outDir: string, report: Report): Pick<WrittenOutputs, 'reportPath' | 'markdownPath'> {
  const reportPath = path.join(outDir, 'report.json');
  const markdownPath = path.join(outDir, 'report.md');
  writeFileAtomic(reportPath, JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(markdownPath, renderReportMarkdown(report));
  return { reportPath, markdownPath };
}

export interface BundleContents {
  saved: SavedModel;
  labels: string[];
  preprocess: unknown;
  task: string;
  /** More files, by path relative to the bundle (a GraphModel base's graph and weights). */
  files?: Record<string, Uint8Array | string>;
}

export async function writeBundle(outDir: string, report: Report, b: BundleContents): Promise<{ modelDir: string; modelSha256: string }> {
  const modelDir = path.join(outDir, 'model');
  let digest = '';
  await replaceDirAtomic(modelDir, async (tmp) => {
    fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(b.saved.modelJson));
    fs.writeFileSync(path.join(tmp, 'weights.bin'), b.saved.weights);
    fs.writeFileSync(path.join(tmp, 'labels.json'), JSON.stringify(b.labels, null, 2) + '\n');
    fs.writeFileSync(path.join(tmp, 'preprocess.json'), JSON.stringify(b.preprocess, null, 2) + '\n');
    fs.writeFileSync(path.join(tmp, 'model-card.md'), renderModelCard(report, b.task));
    for (const [rel, data] of Object.entries(b.files ?? {})) {
      fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
      fs.writeFileSync(path.join(tmp, rel), data);
    }
    digest = await writeManifest(tmp);
  });
  return { modelDir, modelSha256: digest };
}
