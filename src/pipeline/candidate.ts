// The candidate report of `mode: gate` (and `finetune gate`): a report.json, or the folder the
// report artifacts of the triggering run were downloaded to. A re-run of a job adds artifacts of
// its new attempt next to the old ones (names end in the attempt); the candidate is then the
// report of the highest attempt, never a merge of several, and reports of different runs are
// refused: which one the pull request stands for cannot be told.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { Report } from '../domain/types.js';

export interface CandidateChoice {
  file: string;
  report: Report;
  /** Why this file among several, in words; undefined when there was only one. */
  note?: string;
}

const MAX_DEPTH = 3;

export function selectCandidate(input: string): CandidateChoice {
  if (!fs.existsSync(input)) throw new ConfigError(`candidate ${input} does not exist (the report artifact was not downloaded there?)`);
  if (!fs.statSync(input).isDirectory()) return { file: input, report: readReport(input) };
  const files = findReports(input, 0);
  if (files.length === 0)
    throw new ConfigError(
      `candidate folder ${input} holds no report.json (download the triggering run's finetune-*-report-* artifacts there)`,
    );
  const found = files.map((file) => {
    const report = readReport(file);
    return { file, report, attempt: attemptOf(file, report) };
  });
  if (found.length === 1) return { file: found[0].file, report: found[0].report };
  const runs = new Set(found.map((f) => f.report.run?.id ?? 'unknown'));
  if (runs.size > 1) {
    const list = found.map((f) => `${path.relative(input, f.file)} (run ${f.report.run?.id ?? 'unknown'})`).join(', ');
    throw new ConfigError(
      `candidate folder ${input} holds reports of different workflow runs: ${list}; download the artifacts of one run only (run-id: the triggering run)`,
    );
  }
  const names = new Set(found.map((f) => f.report.name));
  if (names.size > 1)
    throw new ConfigError(
      `candidate folder ${input} holds reports of several specs (${[...names].join(', ')}); give candidate the folder or report.json of one`,
    );
  const unknown = found.filter((f) => f.attempt === undefined);
  if (unknown.length > 0) {
    throw new ConfigError(
      `candidate folder ${input} holds ${found.length} reports and cannot tell the run attempt of ${unknown.map((f) => path.relative(input, f.file)).join(', ')}: download each artifact into its own folder (no merge-multiple)`,
    );
  }
  const sorted = [...found].sort((a, b) => (b.attempt as number) - (a.attempt as number));
  if (sorted[0].attempt === sorted[1].attempt) {
    throw new ConfigError(
      `candidate folder ${input} holds two reports of attempt ${sorted[0].attempt}: ${sorted
        .slice(0, 2)
        .map((f) => path.relative(input, f.file))
        .join(', ')}`,
    );
  }
  const best = sorted[0];
  return {
    file: best.file,
    report: best.report,
    note: `candidate: ${path.relative(input, best.file)}, attempt ${best.attempt} (the latest of ${found.length} attempts' reports)`,
  };
}

/** report.json files in the folder and its subfolders (download-artifact puts each artifact in one). */
function findReports(dir: string, depth: number): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === 'report.json') out.push(full);
    else if (entry.isDirectory() && depth < MAX_DEPTH) out.push(...findReports(full, depth + 1));
  }
  return out;
}

/** The attempt the report records; for an older report, the attempt its artifact folder's name ends in. */
function attemptOf(file: string, report: Report): number | undefined {
  if (typeof report.run?.attempt === 'number') return report.run.attempt;
  const m = /^finetune-.+-report-.+-(\d+)$/.exec(path.basename(path.dirname(file)));
  return m ? Number(m[1]) : undefined;
}

export function readReport(file: string): Report {
  let report: Report;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  } catch (err) {
    throw new ConfigError(`candidate report ${file} is not a report.json (${(err as Error).message})`);
  }
  if (!report || typeof report.metrics !== 'object' || report.metrics === null)
    throw new ConfigError(`candidate report ${file} is not a report.json (no "metrics" object)`);
  return report;
}
