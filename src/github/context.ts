// Small shared pieces for talking to GitHub: one error type and reading the event context.
import { EXIT, FinetuneError } from '../errors.js';

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
  payload: {
    pull_request?: { number?: number };
    release?: { tag_name?: string };
    issue?: { number?: number; pull_request?: unknown };
    workflow_run?: { pull_requests?: Array<{ number?: number }> };
  };
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
