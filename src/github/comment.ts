// One pull request comment per spec name, updated in place on every push, with a short
// history of earlier pushes carried inside the comment itself.
import type { getOctokit } from '@actions/github';
import { errorMessage, httpStatus } from './context.js';

export type Octokit = ReturnType<typeof getOctokit>;

/** GitHub refuses comment bodies longer than this. */
export const COMMENT_LIMIT = 65536;
const HISTORY_SHOWN = 5;
const HISTORY_KEPT = 20;
const HISTORY_RE = /<!-- finetune-history: (.*?) -->/;

export interface HistoryEntry {
  sha: string;
  verdict: string;
  /** One line, e.g. "f1_macro 0.912 (-0.004)". */
  summary: string;
  /** The charted metric's name and value at this push (the comment draws it across pushes). */
  metric?: string;
  value?: number;
}

export interface UpsertCommentOptions {
  octokit: Octokit;
  owner: string;
  repo: string;
  issueNumber: number;
  /** The rendered Markdown report. */
  body: string;
  /** The spec name: one comment per name, so several specs in one repo do not overwrite each other. */
  marker: string;
  historyEntry?: HistoryEntry;
  /** Whose comments may be updated; by default any bot's (the workflow token posts as a bot). */
  authorLogin?: string;
}

export type UpsertCommentResult =
  { posted: true; action: 'created' | 'updated'; commentId: number; url: string } | { posted: false; reason: string };

export function commentMarker(name: string): string {
  return `<!-- finetune-action:${name} -->`;
}

export async function upsertPrComment(opts: UpsertCommentOptions): Promise<UpsertCommentResult> {
  const { octokit, owner, repo, issueNumber } = opts;
  const marker = commentMarker(opts.marker);
  try {
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100 });
    // Only our own comment: anyone can paste the marker into theirs.
    const own = comments.find((c) => c.body?.includes(marker) && isAuthor(c.user, opts.authorLogin));
    const history = mergeHistory(own?.body ? parseHistory(own.body) : [], opts.historyEntry);
    const body = composeComment(marker, opts.body, history);
    if (own) {
      const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: own.id, body });
      return { posted: true, action: 'updated', commentId: data.id, url: data.html_url };
    }
    const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
    return { posted: true, action: 'created', commentId: data.id, url: data.html_url };
  } catch (err) {
    const reason = refusalReason(httpStatus(err), `${owner}/${repo}#${issueNumber}`, errorMessage(err));
    if (reason) return { posted: false, reason };
    throw err;
  }
}

function isAuthor(user: { login: string; type: string } | null | undefined, login?: string): boolean {
  if (!user) return false;
  return login ? user.login === login : user.type === 'Bot';
}

function refusalReason(status: number | undefined, where: string, message: string): string | undefined {
  if (status === 403) {
    return `cannot comment on ${where}: the token may not write to pull requests (a pull request from a fork gets a read-only token, or the workflow lacks pull-requests: write); the report is in the job summary (${message})`;
  }
  if (status === 404) return `cannot comment on ${where}: not found, or the token cannot see it (${message})`;
  return undefined;
}

/** Reads the history block of an earlier comment; anything malformed counts as no history. */
export function parseHistory(body: string): HistoryEntry[] {
  const m = HISTORY_RE.exec(body);
  if (!m) return [];
  try {
    const parsed: unknown = JSON.parse(m[1]);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(isEntry).map(({ sha, verdict, summary, metric, value }) => ({ sha, verdict, summary, ...point(metric, value) }));
  } catch {
    return [];
  }
}

// Only a plain metric name and a finite number are kept: both end up inside a Mermaid chart.
function point(metric: unknown, value: unknown): Pick<HistoryEntry, 'metric' | 'value'> {
  return typeof metric === 'string' && /^[a-z0-9_]{1,40}$/.test(metric) && typeof value === 'number' && Number.isFinite(value)
    ? { metric, value }
    : {};
}

function isEntry(x: unknown): x is HistoryEntry {
  const e = x as Partial<HistoryEntry> | null;
  return typeof e?.sha === 'string' && typeof e.verdict === 'string' && typeof e.summary === 'string';
}

/** Appends this push; a re-run of the same commit replaces its entry instead of repeating it. */
export function mergeHistory(previous: HistoryEntry[], entry?: HistoryEntry): HistoryEntry[] {
  if (!entry) return previous.slice(-HISTORY_KEPT);
  const clean = {
    sha: entry.sha.slice(0, 40),
    verdict: entry.verdict.slice(0, 40),
    summary: entry.summary.slice(0, 200),
    ...point(entry.metric, entry.value),
  };
  const rest = previous.filter((e) => e.sha !== clean.sha);
  return [...rest, clean].slice(-HISTORY_KEPT);
}

export function composeComment(marker: string, body: string, history: HistoryEntry[]): string {
  const tail = `${renderHistory(history)}${encodeHistory(history)}\n`;
  const head = `${marker}\n`;
  return head + capBody(body, COMMENT_LIMIT - head.length - tail.length - 2) + '\n\n' + tail;
}

function renderHistory(history: HistoryEntry[]): string {
  if (history.length === 0) return '';
  const rows = history
    .slice(-HISTORY_SHOWN)
    .reverse()
    .map((e) => `| \`${cell(e.sha.slice(0, 7)).replace(/`/g, '')}\` | ${cell(e.verdict)} | ${cell(e.summary)} |`);
  return ['**Recent pushes**', '', '| commit | verdict | summary |', '| --- | --- | --- |', ...rows, '', ...historyChart(history), ''].join(
    '\n',
  );
}

/** A Mermaid line of the latest push's metric across the pushes that recorded it, oldest first. */
export function historyChart(history: HistoryEntry[]): string[] {
  const metric = history[history.length - 1]?.metric;
  const points = history.filter((e) => e.metric === metric && typeof e.value === 'number' && Number.isFinite(e.value));
  if (!metric || !/^[a-z0-9_]{1,40}$/.test(metric) || points.length < 2) return [];
  const sha = (e: HistoryEntry) => `"${e.sha.slice(0, 7).replace(/[^0-9a-zA-Z]/g, '')}"`;
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${metric} across pushes"`,
    `  x-axis [${points.map(sha).join(', ')}]`,
    `  y-axis "${metric}"`,
    `  line [${points.map((e) => (e.value as number).toFixed(4)).join(', ')}]`,
    '```',
    '',
  ];
}

function cell(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

// Escaped so the JSON can never close the HTML comment that carries it.
function encodeHistory(history: HistoryEntry[]): string {
  const json = JSON.stringify(history).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/-/g, '\\u002d');
  return `<!-- finetune-history: ${json} -->`;
}

/** Cuts `text` to `max` characters at a line end, closing an open code fence and saying so. */
export function capBody(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `\n\n> **Note:** truncated to fit GitHub's ${COMMENT_LIMIT}-character comment limit; the full report is in the job summary and the report artifact.`;
  let cut = text.slice(0, Math.max(0, max - note.length - 4));
  const lastNewline = cut.lastIndexOf('\n');
  if (lastNewline > cut.length / 2) cut = cut.slice(0, lastNewline);
  // Never leave half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  const fences = cut.match(/^```/gm)?.length ?? 0;
  return cut + (fences % 2 === 1 ? '\n```' : '') + note;
}
