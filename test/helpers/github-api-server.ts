// A local GitHub REST API with the few endpoints the comment, release and baseline code use,
// recording every request so tests can assert on what was sent.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface User {
  login: string;
  type: 'User' | 'Bot';
}

export interface Comment {
  id: number;
  issue: number;
  body: string;
  user: User;
}

export interface Asset {
  id: number;
  releaseId: number;
  name: string;
  contentType: string;
  data: Buffer;
}

export interface WorkflowRun {
  id: number;
  /** The workflow file name, e.g. "finetune.yml". */
  workflow: string;
  branch: string;
  conclusion: string;
  event: string;
  headSha: string;
  /** "owner/repo" of the head commit: another repository for a pull request from a fork. */
  headRepo: string;
  createdAt: string;
}

export interface RunArtifact {
  id: number;
  runId: number;
  name: string;
  zip: Buffer;
  expired: boolean;
  createdAt: string;
  /** "sha256:<hex>", as the service reports it; by default the zip's own digest. */
  digest: string;
}

/** An entry of the Actions cache service, as its REST API lists it. */
export interface CacheEntry {
  id: number;
  key: string;
  ref: string;
  createdAt: string;
  sizeInBytes: number;
}

/** A pull request as the pulls endpoints list it. */
export interface PullRequest {
  number: number;
  state: 'open' | 'closed';
  headSha: string;
  headRef: string;
  /** "owner/repo" the head branch lives in: another repository for a fork. */
  headRepo: string;
  /**
   * Whether GET /commits/{sha}/pulls lists it. GitHub associates a pull request with a commit it
   * knows in this repository; a fork's head commit may not be, so tests cover both paths.
   */
  listedByCommit: boolean;
}

export interface CheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion?: string;
  details_url?: string;
  output?: { title?: string; summary?: string };
}

export interface CommitStatus {
  id: number;
  sha: string;
  state: string;
  context: string;
  description?: string;
  target_url?: string;
}

/** What the workflow token may do; GitHub answers 403 "Resource not accessible by integration" otherwise. */
export type Permission = 'checks' | 'statuses' | 'pull-requests' | 'contents' | 'actions';

export interface GitHubApiServer {
  baseUrl: string;
  caches: CacheEntry[];
  requests: RecordedRequest[];
  comments: Comment[];
  assets: Asset[];
  /** Workflow files that exist: listing the runs of any other answers 404, as GitHub does. */
  workflows: string[];
  runs: WorkflowRun[];
  runArtifacts: RunArtifact[];
  /** The identity the token stands for: author of the comments it creates. */
  actor: User;
  pulls: PullRequest[];
  checkRuns: CheckRun[];
  statuses: CommitStatus[];
  /**
   * Write permissions the token lacks: its writes there answer 403, as a fork's read-only token
   * does (reads stay allowed, as they are for a public repository).
   */
  readOnly: Set<Permission>;
  addPull(pr: Partial<PullRequest> & { number: number; headSha: string }): PullRequest;
  addComment(issue: number, body: string, user?: User): Comment;
  addRelease(tag: string): { id: number };
  addAsset(releaseId: number, name: string, data: Buffer | string, contentType?: string): Asset;
  /** A completed run; each added run is newer than the ones before it unless `createdAt` says otherwise. */
  addWorkflowRun(run: Partial<WorkflowRun> & { workflow: string; branch: string }): WorkflowRun;
  addRunArtifact(
    runId: number,
    name: string,
    zip: Buffer,
    opts?: Partial<Pick<RunArtifact, 'expired' | 'createdAt' | 'digest'>>,
  ): RunArtifact;
  /** A cache entry; each added entry is newer than the ones before it unless `createdAt` says otherwise. */
  addCache(key: string, ref: string, opts?: Partial<Pick<CacheEntry, 'createdAt' | 'sizeInBytes'>>): CacheEntry;
  /** Answer `status` to every request whose "METHOD /path" matches, until `failWith(undefined)`. */
  failWith(status: number | undefined, match?: RegExp): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON. */
  raw?: Buffer;
  headers?: Record<string, string>;
}

const PER_PAGE_DEFAULT = 30;
const EPOCH = Date.UTC(2025, 0, 1);
const NOT_FOUND: Reply = { status: 404, body: { message: 'Not Found' } };

export async function startGitHubApiServer(): Promise<GitHubApiServer> {
  let nextId = 1000;
  const releases: Array<{ id: number; tag: string }> = [];
  const failure: { status?: number; match?: RegExp } = {};
  const api: GitHubApiServer = {
    baseUrl: '',
    caches: [],
    requests: [],
    comments: [],
    assets: [],
    workflows: [],
    runs: [],
    runArtifacts: [],
    actor: { login: 'github-actions[bot]', type: 'Bot' },
    pulls: [],
    checkRuns: [],
    statuses: [],
    readOnly: new Set(),
    addPull(pr) {
      const p: PullRequest = { state: 'open', headRef: `branch-${pr.number}`, headRepo: 'o/r', listedByCommit: true, ...pr };
      api.pulls.push(p);
      return p;
    },
    addComment(issue: number, body: string, user: User = api.actor) {
      const c = { id: nextId++, issue, body, user };
      api.comments.push(c);
      return c;
    },
    addRelease(tag: string) {
      const r = { id: nextId++, tag };
      releases.push(r);
      return { id: r.id };
    },
    addAsset(releaseId: number, name: string, data: Buffer | string, contentType = 'application/octet-stream') {
      const a = { id: nextId++, releaseId, name, contentType, data: Buffer.from(data) };
      api.assets.push(a);
      return a;
    },
    addWorkflowRun(run) {
      const id = nextId++;
      const r: WorkflowRun = {
        id,
        conclusion: 'success',
        event: 'push',
        headSha: sha1(`commit-${id}`),
        headRepo: 'o/r',
        createdAt: stamp(id),
        ...run,
      };
      api.runs.push(r);
      if (!api.workflows.includes(r.workflow)) api.workflows.push(r.workflow);
      return r;
    },
    addRunArtifact(runId, name, zip, opts = {}) {
      const id = nextId++;
      const digest = `sha256:${createHash('sha256').update(zip).digest('hex')}`;
      const a: RunArtifact = { id, runId, name, zip, expired: false, createdAt: stamp(id), digest, ...opts };
      api.runArtifacts.push(a);
      return a;
    },
    addCache(key, ref, opts = {}) {
      const id = nextId++;
      const c: CacheEntry = { id, key, ref, createdAt: stamp(id), sizeInBytes: 1024, ...opts };
      api.caches.push(c);
      return c;
    },
    failWith(status: number | undefined, match?: RegExp) {
      Object.assign(failure, { status, match });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const commentJson = (c: Comment) => ({
    id: c.id,
    body: c.body,
    user: c.user,
    html_url: `https://github.com/o/r/issues/${c.issue}#issuecomment-${c.id}`,
  });
  const assetJson = (a: Asset) => ({
    id: a.id,
    name: a.name,
    size: a.data.length,
    content_type: a.contentType,
    state: 'uploaded',
    browser_download_url: `https://github.com/o/r/releases/download/${a.releaseId}/${a.name}`,
  });

  const runJson = (r: WorkflowRun, repo: string) => ({
    id: r.id,
    name: r.workflow,
    path: `.github/workflows/${r.workflow}`,
    head_branch: r.branch,
    head_sha: r.headSha,
    event: r.event,
    status: 'completed',
    conclusion: r.conclusion,
    created_at: r.createdAt,
    html_url: `https://github.com/${repo}/actions/runs/${r.id}`,
    head_repository: { full_name: r.headRepo },
  });
  const runArtifactJson = (a: RunArtifact, repo: string) => ({
    id: a.id,
    name: a.name,
    size_in_bytes: a.zip.length,
    archive_download_url: `${api.baseUrl}/repos/${repo}/actions/artifacts/${a.id}/zip`,
    expired: a.expired,
    created_at: a.createdAt,
    expires_at: new Date(Date.parse(a.createdAt) + 90 * 86_400_000).toISOString(),
    digest: a.digest,
    workflow_run: { id: a.runId },
  });

  // The Actions endpoints the baseline lookup and `@actions/artifact`'s download with findBy call.
  const actionsRoute = (req: RecordedRequest, key: string): Reply | undefined => {
    let m: RegExpMatchArray | null;
    if ((m = key.match(/^GET \/repos\/([^/]+\/[^/]+)\/actions\/workflows\/([^/]+)\/runs$/))) {
      const [repo, workflow] = [m[1], decodeURIComponent(m[2])];
      if (!api.workflows.includes(workflow)) return NOT_FOUND;
      const branch = req.query.get('branch');
      const status = req.query.get('status');
      const runs = api.runs
        .filter((r) => r.workflow === workflow && (!branch || r.branch === branch) && (!status || r.conclusion === status))
        .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
      return page(
        req,
        runs.map((r) => runJson(r, repo)),
        'workflow_runs',
      );
    }
    // The runs of every workflow; `status` is a status (completed) or a conclusion (success, failure).
    if ((m = key.match(/^GET \/repos\/([^/]+\/[^/]+)\/actions\/runs$/))) {
      const repo = m[1];
      const headSha = req.query.get('head_sha');
      const status = req.query.get('status');
      const runs = api.runs
        .filter((r) => (!headSha || r.headSha === headSha) && (!status || status === 'completed' || r.conclusion === status))
        .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
      return page(
        req,
        runs.map((r) => runJson(r, repo)),
        'workflow_runs',
      );
    }
    if ((m = key.match(/^GET \/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/artifacts$/))) {
      const [repo, runId] = [m[1], Number(m[2])];
      if (!api.runs.some((r) => r.id === runId)) return NOT_FOUND;
      return page(
        req,
        api.runArtifacts.filter((a) => a.runId === runId).map((a) => runArtifactJson(a, repo)),
        'artifacts',
      );
    }
    if ((m = key.match(/^GET \/repos\/[^/]+\/[^/]+\/actions\/artifacts\/(\d+)\/zip$/))) {
      const a = api.runArtifacts.find((x) => x.id === Number(m?.[1]));
      if (!a) return NOT_FOUND;
      if (a.expired) return { status: 410, body: { message: 'Artifact has expired' } };
      // GitHub answers with a redirect to a short-lived signed blob URL.
      return { status: 302, headers: { location: `${api.baseUrl}/_blobs/${a.id}.zip?sig=signed` } };
    }
    // The cache list matches `key` as a prefix and `ref` exactly, newest first by default.
    if (key.match(/^GET \/repos\/[^/]+\/[^/]+\/actions\/caches$/)) {
      const prefix = req.query.get('key') ?? '';
      const ref = req.query.get('ref');
      const caches = api.caches
        .filter((c) => c.key.startsWith(prefix) && (!ref || c.ref === ref))
        .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
        .map((c) => ({
          id: c.id,
          ref: c.ref,
          key: c.key,
          version: 'v',
          last_accessed_at: c.createdAt,
          created_at: c.createdAt,
          size_in_bytes: c.sizeInBytes,
        }));
      return page(req, caches, 'actions_caches');
    }
    if ((m = key.match(/^DELETE \/repos\/[^/]+\/[^/]+\/actions\/caches\/(\d+)$/))) {
      const i = api.caches.findIndex((c) => c.id === Number(m?.[1]));
      if (i < 0) return NOT_FOUND;
      api.caches.splice(i, 1);
      return { status: 204 };
    }
    if ((m = key.match(/^GET \/_blobs\/(\d+)\.zip$/))) {
      const a = api.runArtifacts.find((x) => x.id === Number(m?.[1]));
      return a ? { status: 200, raw: a.zip, headers: { 'content-type': 'application/zip' } } : NOT_FOUND;
    }
    return undefined;
  };

  const deniedPermission = (key: string): Permission | undefined => {
    const needs: Array<[RegExp, Permission]> = [
      [/^POST \/repos\/[^/]+\/[^/]+\/check-runs$/, 'checks'],
      [/^POST \/repos\/[^/]+\/[^/]+\/statuses\//, 'statuses'],
      [/^(POST|PATCH) \/repos\/[^/]+\/[^/]+\/issues\//, 'pull-requests'],
      [/^(POST|DELETE) \/repos\/[^/]+\/[^/]+\/releases\//, 'contents'],
      [/^DELETE \/repos\/[^/]+\/[^/]+\/actions\//, 'actions'],
    ];
    return needs.find(([re, p]) => re.test(key) && api.readOnly.has(p))?.[1];
  };

  const pullJson = (p: PullRequest, repo: string) => ({
    number: p.number,
    state: p.state,
    html_url: `https://github.com/${repo}/pull/${p.number}`,
    head: { sha: p.headSha, ref: p.headRef, label: `${p.headRepo.split('/')[0]}:${p.headRef}`, repo: { full_name: p.headRepo } },
    base: { ref: 'main', repo: { full_name: repo } },
  });

  // Check runs, commit statuses and the pull request lookups of the merge gate.
  const mergeGateRoute = (req: RecordedRequest, key: string): Reply | undefined => {
    let m: RegExpMatchArray | null;
    if ((m = key.match(/^POST \/repos\/([^/]+\/[^/]+)\/check-runs$/))) {
      const b = JSON.parse(req.body.toString('utf8')) as Omit<CheckRun, 'id'>;
      const invalid =
        !b.name ||
        !b.head_sha ||
        (b.status === 'completed' && !b.conclusion) ||
        (b.output !== undefined && (!b.output.title || b.output.summary === undefined));
      if (invalid)
        return {
          status: 422,
          body: {
            message: 'Invalid request.',
            errors: ['name, head_sha, conclusion (when completed) and output.title/summary are required'],
          },
        };
      if ((b.output?.summary ?? '').length > 65535)
        return { status: 422, body: { message: 'Invalid request.', errors: ['Only 65535 characters are allowed; 65536 were supplied.'] } };
      const run: CheckRun = { id: nextId++, ...b };
      api.checkRuns.push(run);
      return { status: 201, body: { ...run, html_url: `https://github.com/${m[1]}/runs/${run.id}` } };
    }
    if ((m = key.match(/^POST \/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/))) {
      const b = JSON.parse(req.body.toString('utf8')) as Omit<CommitStatus, 'id' | 'sha'>;
      if (!['error', 'failure', 'pending', 'success'].includes(b.state)) return { status: 422, body: { message: 'Validation Failed' } };
      const st: CommitStatus = { id: nextId++, sha: m[2], ...b };
      api.statuses.push(st);
      return { status: 201, body: { ...st, url: `${api.baseUrl}/repos/${m[1]}/statuses/${st.sha}` } };
    }
    if ((m = key.match(/^GET \/repos\/([^/]+\/[^/]+)\/commits\/([0-9a-f]{7,40})\/pulls$/))) {
      const sha = m[2];
      return page(
        req,
        api.pulls.filter((p) => p.listedByCommit && p.headSha.startsWith(sha)).map((p) => pullJson(p, m?.[1] ?? '')),
      );
    }
    if ((m = key.match(/^GET \/repos\/([^/]+)\/([^/]+)$/))) {
      return { status: 200, body: { full_name: `${m[1]}/${m[2]}`, default_branch: 'main', private: false } };
    }
    if ((m = key.match(/^GET \/repos\/([^/]+\/[^/]+)\/pulls$/))) {
      const state = req.query.get('state') ?? 'open';
      const head = req.query.get('head');
      const pulls = api.pulls.filter(
        (p) => (state === 'all' || p.state === state) && (!head || `${p.headRepo.split('/')[0]}:${p.headRef}` === head),
      );
      return page(
        req,
        pulls.map((p) => pullJson(p, m?.[1] ?? '')),
      );
    }
    return undefined;
  };

  const route = (req: RecordedRequest): Reply => {
    const key = `${req.method} ${req.path}`;
    if (failure.status && (!failure.match || failure.match.test(key))) {
      return { status: failure.status, body: { message: 'Resource not accessible by integration' } };
    }
    const denied = deniedPermission(key);
    if (denied)
      return {
        status: 403,
        body: {
          message: 'Resource not accessible by integration',
          documentation_url: `https://docs.github.com/rest (needs ${denied}: write)`,
        },
      };
    const actions = actionsRoute(req, key);
    if (actions) return actions;
    const merge = mergeGateRoute(req, key);
    if (merge) return merge;
    let m: RegExpMatchArray | null;
    if ((m = key.match(/^GET \/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/))) {
      return page(req, api.comments.filter((c) => c.issue === Number(m?.[1])).map(commentJson));
    }
    if ((m = key.match(/^POST \/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/))) {
      const c = api.addComment(Number(m[1]), jsonBody(req).body);
      return { status: 201, body: commentJson(c) };
    }
    if ((m = key.match(/^PATCH \/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/))) {
      const c = api.comments.find((x) => x.id === Number(m?.[1]));
      if (!c) return { status: 404, body: { message: 'Not Found' } };
      c.body = jsonBody(req).body;
      return { status: 200, body: commentJson(c) };
    }
    if ((m = key.match(/^GET \/repos\/([^/]+)\/([^/]+)\/releases\/tags\/(.+)$/))) {
      const r = releases.find((x) => x.tag === decodeURIComponent(m?.[3] ?? ''));
      if (!r) return { status: 404, body: { message: 'Not Found' } };
      const uploadUrl = `${api.baseUrl}/repos/${m[1]}/${m[2]}/releases/${r.id}/assets{?name,label}`;
      return {
        status: 200,
        body: { id: r.id, tag_name: r.tag, upload_url: uploadUrl, html_url: `https://github.com/o/r/releases/tag/${r.tag}` },
      };
    }
    if ((m = key.match(/^GET \/repos\/[^/]+\/[^/]+\/releases\/(\d+)\/assets$/))) {
      return page(req, api.assets.filter((a) => a.releaseId === Number(m?.[1])).map(assetJson));
    }
    if ((m = key.match(/^DELETE \/repos\/[^/]+\/[^/]+\/releases\/assets\/(\d+)$/))) {
      const i = api.assets.findIndex((a) => a.id === Number(m?.[1]));
      if (i < 0) return { status: 404, body: { message: 'Not Found' } };
      api.assets.splice(i, 1);
      return { status: 204 };
    }
    if ((m = key.match(/^POST \/repos\/[^/]+\/[^/]+\/releases\/(\d+)\/assets$/))) {
      const releaseId = Number(m[1]);
      const name = req.query.get('name') ?? '';
      if (api.assets.some((a) => a.releaseId === releaseId && a.name === name)) {
        return {
          status: 422,
          body: { message: 'Validation Failed', errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }] },
        };
      }
      const a = api.addAsset(releaseId, name, req.body, String(req.headers['content-type']));
      return { status: 201, body: assetJson(a) };
    }
    return { status: 404, body: { message: `no route for ${key}` } };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', api.baseUrl);
      const rec = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      api.requests.push(rec);
      const reply = route(rec);
      const headers = { 'content-type': 'application/json', ...reply.headers };
      res.writeHead(reply.status, headers).end(reply.raw ?? (reply.body === undefined ? undefined : JSON.stringify(reply.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;

  // GitHub-style pagination: per_page/page with a Link header to the next page; list endpoints
  // of the Actions API wrap the page as `{ total_count, [key]: items }`.
  function page(req: RecordedRequest, items: unknown[], key?: string): Reply {
    const perPage = Number(req.query.get('per_page') ?? PER_PAGE_DEFAULT);
    const n = Number(req.query.get('page') ?? 1);
    const headers: Record<string, string> = {};
    if (n * perPage < items.length) {
      const next = new URL(req.path, api.baseUrl);
      next.search = req.query.toString();
      next.searchParams.set('per_page', String(perPage));
      next.searchParams.set('page', String(n + 1));
      headers.link = `<${next.href}>; rel="next"`;
    }
    const slice = items.slice((n - 1) * perPage, n * perPage);
    return { status: 200, body: key ? { total_count: items.length, [key]: slice } : slice, headers };
  }
}

function stamp(id: number): string {
  return new Date(EPOCH + id * 60_000).toISOString();
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function jsonBody(req: RecordedRequest): { body: string } {
  return JSON.parse(req.body.toString('utf8')) as { body: string };
}
