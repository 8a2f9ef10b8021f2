// A local stand-in for the Actions results service (the Twirp JSON API behind @actions/artifact),
// handing out real Azurite SAS URLs so uploads go through real blob storage.
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEVSTORE_ACCOUNT, DEVSTORE_KEY, type Azurite } from './azurite.js';

const SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService/';
const CONTAINER = 'actions-results';

export interface TwirpCall {
  method: string;
  body: Record<string, unknown>;
  authorization?: string;
  status: number;
}

export interface StoredArtifact {
  id?: number;
  run: string;
  job: string;
  name: string;
  blob: string;
  size?: string;
  hash?: string;
  createdAt: Date;
  expiresAt?: string;
}

export interface ResultsServer {
  url: string;
  calls: TwirpCall[];
  artifacts: StoredArtifact[];
  /** The next `count` calls answer `status` (a Twirp error with `msg`) instead of doing anything. */
  failNext(count: number, status?: number, msg?: string): void;
  /** The zip bytes an artifact's upload left in blob storage. */
  download(name: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** A JWT-shaped runtime token carrying the run and job backend ids the client reads. */
export function runtimeToken(runBackendId: string, jobBackendId: string): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const payload = { scp: `Actions.ExampleScope Actions.Results:${runBackendId}:${jobBackendId}` };
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.sig`;
}

/** Request fields, by their proto names; int64 values arrive as decimal strings. */
interface TwirpBody {
  workflow_run_backend_id?: string;
  workflow_job_run_backend_id?: string;
  name?: string;
  version?: number;
  expires_at?: string;
  mime_type?: string;
  size?: string;
  hash?: string;
  name_filter?: string;
  id_filter?: string;
}

class TwirpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    msg: string,
  ) {
    super(msg);
  }
}

export async function startResultsServer(azurite: Azurite): Promise<ResultsServer> {
  const credential = new StorageSharedKeyCredential(DEVSTORE_ACCOUNT, DEVSTORE_KEY);
  const container = new BlobServiceClient(azurite.accountUrl, credential).getContainerClient(CONTAINER);
  await container.createIfNotExists();
  const state = {
    calls: [] as TwirpCall[],
    artifacts: [] as StoredArtifact[],
    failures: [] as Array<{ status: number; msg: string }>,
    nextId: 4100,
  };

  const sas = (blob: string, permissions: string) => {
    const query = generateBlobSASQueryParameters(
      {
        containerName: CONTAINER,
        blobName: blob,
        permissions: BlobSASPermissions.parse(permissions),
        expiresOn: new Date(Date.now() + 3600_000),
      },
      credential,
    ).toString();
    return `${container.getBlockBlobClient(blob).url}?${query}`;
  };

  const handlers: Record<string, (b: TwirpBody) => Promise<object>> = {
    CreateArtifact: async (b) => {
      if (b.version !== 7) throw new TwirpError(400, 'invalid_argument', `unsupported version ${b.version}`);
      if (find(state.artifacts, b))
        throw new TwirpError(409, 'already_exists', `an artifact with this name already exists on the workflow run`);
      const blob = `${b.workflow_run_backend_id}/${b.name}.zip`;
      state.artifacts.push({
        run: b.workflow_run_backend_id ?? '',
        job: b.workflow_job_run_backend_id ?? '',
        name: b.name ?? '',
        blob,
        createdAt: new Date(),
        expiresAt: b.expires_at,
      });
      return { ok: true, signed_upload_url: sas(blob, 'cw') };
    },
    FinalizeArtifact: async (b) => {
      const art = mustFind(state.artifacts, b);
      const props = await container
        .getBlockBlobClient(art.blob)
        .getProperties()
        .catch(() => undefined);
      if (!props) throw new TwirpError(400, 'failed_precondition', 'no blob was uploaded');
      if (String(props.contentLength) !== b.size)
        throw new TwirpError(400, 'invalid_argument', `size ${b.size} != blob ${props.contentLength}`);
      Object.assign(art, { id: state.nextId++, size: b.size, hash: b.hash });
      return { ok: true, artifact_id: String(art.id) };
    },
    ListArtifacts: async (b) => ({
      artifacts: state.artifacts
        .filter((a) => a.id !== undefined && a.run === b.workflow_run_backend_id)
        .filter(
          (a) => (b.name_filter === undefined || a.name === b.name_filter) && (b.id_filter === undefined || String(a.id) === b.id_filter),
        )
        .map((a) => ({
          workflow_run_backend_id: a.run,
          workflow_job_run_backend_id: a.job,
          database_id: String(a.id),
          name: a.name,
          size: a.size,
          created_at: a.createdAt.toISOString(),
          digest: a.hash,
        })),
    }),
    GetSignedArtifactURL: async (b) => ({ signed_url: sas(mustFind(state.artifacts, b).blob, 'r') }),
    DeleteArtifact: async (b) => {
      const art = mustFind(state.artifacts, b);
      await container.getBlockBlobClient(art.blob).deleteIfExists();
      state.artifacts.splice(state.artifacts.indexOf(art), 1);
      return { ok: true, artifact_id: String(art.id ?? 0) };
    },
  };

  const server = http.createServer((req, res) => {
    void handle(req, handlers, state).then(({ status, body }) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    calls: state.calls,
    artifacts: state.artifacts,
    failNext: (count, status = 503, msg = 'injected failure') => {
      for (let i = 0; i < count; i++) state.failures.push({ status, msg });
    },
    download: async (name) => {
      const art = state.artifacts.find((a) => a.name === name && a.id !== undefined);
      if (!art) throw new Error(`no finalized artifact ${name}`);
      return container.getBlockBlobClient(art.blob).downloadToBuffer();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(
  req: http.IncomingMessage,
  handlers: Record<string, (b: TwirpBody) => Promise<object>>,
  state: { calls: TwirpCall[]; failures: Array<{ status: number; msg: string }> },
): Promise<{ status: number; body: object }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const method = (req.url ?? '').startsWith(SERVICE) ? (req.url ?? '').slice(SERVICE.length) : '';
  const call: TwirpCall = { method, body: {}, authorization: req.headers.authorization, status: 200 };
  state.calls.push(call);
  try {
    call.body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
    const failure = state.failures.shift();
    if (failure) throw new TwirpError(failure.status, failure.status >= 500 ? 'unavailable' : 'failed_precondition', failure.msg);
    if (req.method !== 'POST' || !handlers[method]) throw new TwirpError(404, 'bad_route', `no handler for ${req.method} ${req.url}`);
    if (!/^Bearer .+\..+\..+$/.test(req.headers.authorization ?? '')) throw new TwirpError(401, 'unauthenticated', 'missing runtime token');
    return { status: 200, body: await handlers[method](call.body as TwirpBody) };
  } catch (err) {
    const e = err instanceof TwirpError ? err : new TwirpError(500, 'internal', String(err));
    call.status = e.status;
    return { status: e.status, body: { code: e.code, msg: e.message } };
  }
}

function find(artifacts: StoredArtifact[], b: TwirpBody): StoredArtifact | undefined {
  return artifacts.find((a) => a.run === b.workflow_run_backend_id && a.name === b.name);
}

function mustFind(artifacts: StoredArtifact[], b: TwirpBody): StoredArtifact {
  const art = find(artifacts, b);
  if (!art) throw new TwirpError(404, 'not_found', `artifact ${b.name} not found`);
  return art;
}
