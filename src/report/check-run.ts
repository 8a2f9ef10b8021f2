// What the check run (or commit status) on a pull request's head commit says: a conclusion a
// branch protection rule can require, a title that is the report's headline (verdict, deciding metric, by how much), and the report as its
// summary. Pure: a report and whether the gate let it pass in, the three texts out.
import type { Report } from '../domain/types.js';
import { renderReportMarkdown } from './markdown.js';
import { isTrainingFailure } from './crash.js';
import { verdictHeadline } from './headline.js';

/** GitHub refuses a check run whose output.summary is longer than this (characters). */
export const CHECK_SUMMARY_LIMIT = 65535;

/** neutral: inconclusive, and `gate.on_inconclusive: pass` lets it through (a required check counts neutral as passed). */
export type CheckConclusion = 'success' | 'failure' | 'neutral';

export interface CheckRunContent {
  title: string;
  summary: string;
  conclusion: CheckConclusion;
}

/** `passed`: the step's own outcome (exit 0), where on_inconclusive has been applied. */
export function checkRunContent(r: Report, passed: boolean): CheckRunContent {
  return { title: verdictHeadline(r), summary: truncateSummary(renderReportMarkdown(r)), conclusion: checkConclusion(r, passed) };
}

export function checkConclusion(r: Report, passed: boolean): CheckConclusion {
  if (!passed || isTrainingFailure(r)) return 'failure';
  return r.verdict === 'inconclusive' ? 'neutral' : 'success';
}

/** Cuts at a line end below the limit and says so; the report artifact has it all. */
export function truncateSummary(markdown: string, limit = CHECK_SUMMARY_LIMIT): string {
  if (markdown.length <= limit) return markdown;
  const note =
    '\n\n_… cut here: the summary of a check run holds at most 65535 characters; the full report is in report.md of the report artifact._';
  const room = limit - note.length;
  const cut = markdown.lastIndexOf('\n', room);
  return markdown.slice(0, cut > room / 2 ? cut : room) + note;
}
