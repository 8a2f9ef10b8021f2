// Small shared pieces for talking to GitHub: one error type and reading the event context.
import { EXIT, FinetuneError } from '../errors.js';
import type { RunProvenance } from '../domain/types.js';

export type GitHubFailure = 'permission' | 'not-found' | 'duplicate' | 'quota' | 'unavailable' | 'unsafe-path' | 'other';

/** A GitHub call that failed for a reason the user can act on; `kind` says which. */
export class GitHubError extends FinetuneError {
  readonly kind: GitHubFailure;

  constructor(message: string, kind: GitHubFailure, cause?: unknown) {
    super(message, EXIT.BAD_INPUT, { cause });
    this.kind = kind;
  }
}

/** The HTTP status of an Octokit RequestError (or anything shaped like one). */
export function httpStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The parts of `@actions/github`'s `context` read here, so tests can pass plain objects. */
export interface EventContext {
  eventName: string;
  /** GITHUB_SHA: under workflow_run the default branch's head, under pull_request a merge commit. */
  sha?: string;
  runId?: number;
  runAttempt?: number;
  repo?: { owner: string; repo: string };
  serverUrl?: string;
  payload: {
    pull_request?: { number?: number; head?: { sha?: string } };
    release?: { tag_name?: string };
    issue?: { number?: number; pull_request?: unknown };
    workflow_run?: TriggeringRun;
  };
}

/** The run a workflow_run job was triggered by (its event payload). */
export interface TriggeringRun {
  id?: number;
  event?: string;
  head_sha?: string;
  head_branch?: string | null;
  head_repository?: { full_name?: string; owner?: { login?: string } } | null;
  /** Empty for a pull request from a fork: see src/github/pull-request.ts. */
  pull_requests?: Array<{ number?: number; head?: { sha?: string } }>;
}

/**
 * The commit the verdict is about: a pull request's head (not the merge commit GITHUB_SHA names
 * under pull_request, nor the default branch's head it names under workflow_run), else GITHUB_SHA.
 */
export function headSha(ctx: EventContext): string | undefined {
  return ctx.payload.pull_request?.head?.sha ?? ctx.payload.workflow_run?.head_sha ?? ctx.sha;
}

/** The PR number of a pull_request / pull_request_target event, else undefined. */
export function pullRequestNumber(ctx: EventContext): number | undefined {
  const pr = ctx.payload.pull_request?.number;
  if (typeof pr === 'number') return pr;
  // A workflow_run job gating another run's report comments on that run's pull request.
  const triggering = ctx.payload.workflow_run?.pull_requests?.[0]?.number;
  if (typeof triggering === 'number') return triggering;
  const issue = ctx.payload.issue;
  return issue?.pull_request && typeof issue.number === 'number' ? issue.number : undefined;
}

/** The tag of a release event, else undefined. */
export function releaseTag(ctx: EventContext): string | undefined {
  return ctx.eventName === 'release' ? ctx.payload.release?.tag_name : undefined;
}

/** The workflow run a report is made in (GitHub Actions only: GITHUB_RUN_ID set). */
export function runProvenance(ctx: EventContext, env: NodeJS.ProcessEnv): RunProvenance | undefined {
  const id = Number(env.GITHUB_RUN_ID);
  const sha = headSha(ctx);
  if (!Number.isInteger(id) || id <= 0 || !sha) return undefined;
  const repository = env.GITHUB_REPOSITORY ?? (ctx.repo ? `${ctx.repo.owner}/${ctx.repo.repo}` : 'unknown');
  const workflow = /(?:^|\/)\.github\/workflows\/([^/@]+)@/.exec(env.GITHUB_WORKFLOW_REF ?? '')?.[1];
  return {
    id,
    attempt: Number(env.GITHUB_RUN_ATTEMPT) || 1,
    repository,
    head_sha: sha,
    ...(workflow ? { workflow } : {}),
    event: ctx.eventName,
    url: `${env.GITHUB_SERVER_URL || 'https://github.com'}/${repository}/actions/runs/${id}`,
  };
}
