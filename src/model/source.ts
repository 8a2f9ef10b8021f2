// Reads a base model (model.json + weight files) from the repository or an https URL, checking
// the manifest before reading any weights and the byte counts before trusting them.
import fs from 'node:fs';
import path from 'node:path';
import { ModelError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { bytesOf, validateManifest, type WeightSpec, type WeightsGroup } from './weights-manifest.js';

export interface ModelSource {
  /** Where it came from, as the user wrote it. */
  location: string;
  modelTopology: unknown;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
  /** sha256 over model.json and every weight byte. */
  sha256: string;
  /** What model.json declares: a LayersModel, or a GraphModel (inference only, its topology a GraphDef). */
  format: 'layers-model' | 'graph-model';
  /** A GraphModel's signature (its named inputs and outputs), when model.json has one. */
  signature?: unknown;
}

export interface ModelSourceOptions {
  /** Per download; default $FINETUNE_FETCH_TIMEOUT_MS, else 60 s. */
  timeoutMs?: number;
  /**
   * true: require a GraphModel (a frozen sentence encoder); 'allow': accept either kind (a frozen
   * image base). A GraphModel's modelTopology is a GraphDef.
   */
  graph?: boolean | 'allow';
}

/** A documented cap: model.json holds the topology, not weights; MobileNetV2's is ~120 KB. */
export const MAX_MODEL_JSON_BYTES = 32 * 1024 * 1024;
const DEFAULT_FETCH_TIMEOUT_MS = 60_000;

/** Reads model.json or a weight file; null when it holds more than `maxBytes` (not read past that). */
interface Reader {
  modelJson(maxBytes: number): Promise<Uint8Array | null>;
  weight(relPath: string, maxBytes: number): Promise<Uint8Array | null>;
}

/**
 * `location` is the spec's model.base; `localPath` its absolute path in the repository, or
 * undefined to download `location` as given (the spec loader allows only https URLs there).
 */
export async function readModelSource(location: string, localPath?: string, opts: ModelSourceOptions = {}): Promise<ModelSource> {
  const where = `model.base (${location})`;
  const read: Reader = localPath ? localReader(localPath, where) : remoteReader(location, where, fetchTimeout(opts));
  const jsonBytes = await read.modelJson(MAX_MODEL_JSON_BYTES);
  if (!jsonBytes)
    throw new ModelError(`${where}: model.json is larger than ${MAX_MODEL_JSON_BYTES / 1024 / 1024} MiB; it should hold the topology only`);
  const modelJson = parseModelJson(jsonBytes, where, opts.graph ?? false);
  const { groups, specs } = validateManifest(modelJson.weightsManifest, where);
  const chunks: Uint8Array[] = [];
  for (const [g, group] of groups.entries()) chunks.push(await readGroup(read, group, `${where}: weightsManifest[${g}]`));
  const data = Buffer.concat(chunks);
  const hash = sha256(Buffer.concat([Buffer.from(jsonBytes), data]));
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer;
  return {
    location,
    modelTopology: modelJson.topology,
    weightSpecs: specs,
    weightData,
    sha256: hash,
    format: modelJson.format,
    signature: modelJson.signature,
  };
}

/** A group's weights are laid end to end across its files: their sizes must add up exactly. */
async function readGroup(read: Reader, group: WeightsGroup, where: string): Promise<Uint8Array> {
  const declared = group.weights.reduce((s, w) => s + bytesOf(w), 0);
  const parts: Uint8Array[] = [];
  let got = 0;
  for (const p of group.paths) {
    const bytes = await read.weight(p, declared - got);
    if (!bytes) throw sizeMismatch(where, group, `more than ${declared} bytes`, declared);
    got += bytes.length;
    parts.push(bytes);
  }
  if (got !== declared) throw sizeMismatch(where, group, `${got} bytes`, declared);
  return Buffer.concat(parts);
}

function sizeMismatch(where: string, group: WeightsGroup, got: string, declared: number): ModelError {
  const files = group.paths.map((p) => `"${p}"`).join(', ');
  return new ModelError(`${where}: weight files ${files} hold ${got}, the manifest's shapes and dtypes declare ${declared} bytes`);
}

interface ParsedModelJson {
  topology: unknown;
  weightsManifest: unknown;
  format: ModelSource['format'];
  signature?: unknown;
}

function parseModelJson(bytes: Uint8Array, where: string, graph: boolean | 'allow'): ParsedModelJson {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ModelError(`${where}: model.json is not valid JSON (${(err as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ModelError(`${where}: model.json must hold a JSON object`);
  const topo = json.modelTopology as Record<string, unknown> | undefined;
  const isGraph = json.format === 'graph-model' || (topo && typeof topo === 'object' && 'node' in topo);
  if (graph === true || (graph === 'allow' && isGraph)) {
    if (!isGraph || !topo || !Array.isArray(topo.node))
      throw new ModelError(`${where}: expected a TF.js GraphModel model.json (format "graph-model", modelTopology.node)`);
    return { topology: topo, weightsManifest: json.weightsManifest, format: 'graph-model', signature: json.signature ?? undefined };
  }
  if (isGraph) {
    throw new ModelError(`${where}: this is a TF.js GraphModel (inference only); fine-tuning needs a LayersModel (format "layers-model")`);
  }
  if (!topo || typeof topo !== 'object')
    throw new ModelError(`${where}: no "modelTopology" object; is this a TF.js LayersModel model.json?`);
  if (json.weightsManifest === undefined) throw new ModelError(`${where}: no "weightsManifest"`);
  return { topology: topo, weightsManifest: json.weightsManifest, format: 'layers-model' };
}

function fetchTimeout(opts: ModelSourceOptions): number {
  if (opts.timeoutMs !== undefined) return opts.timeoutMs;
  const env = Number(process.env.FINETUNE_FETCH_TIMEOUT_MS);
  return Number.isFinite(env) && env > 0 ? env : DEFAULT_FETCH_TIMEOUT_MS;
}

/** model.json by its own path; weight paths (already checked to be relative) from its folder. */
function localReader(modelJsonPath: string, where: string): Reader {
  return {
    modelJson: async (max) => readCapped(modelJsonPath, `${where}: model.json`, max),
    weight: async (p, max) => readCapped(weightFileInFolder(modelJsonPath, p, where), `${where}: weight file "${p}"`, max),
  };
}

/** Weight paths were checked to stay inside the folder; a symlink must not lead out of it either. */
function weightFileInFolder(modelJsonPath: string, relPath: string, where: string): string {
  const dir = fs.realpathSync(path.dirname(modelJsonPath));
  const file = path.join(dir, relPath);
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    throw new ModelError(`${where}: weight file "${relPath}" is missing next to model.json`);
  }
  const rel = path.relative(dir, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new ModelError(`${where}: weight file "${relPath}" resolves to ${real}, outside the model's folder`);
  }
  return real;
}

function readCapped(file: string, what: string, maxBytes: number): Uint8Array | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ModelError(`${what} does not exist`);
  }
  if (!stat.isFile()) throw new ModelError(`${what} is not a file`);
  if (stat.size > maxBytes) return null;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ModelError(`${what} cannot be read: ${(err as Error).message}`);
  }
}

/** Weight URLs resolve against model.json's URL and must stay under its folder on the same origin. */
function remoteReader(location: string, where: string, timeoutMs: number): Reader {
  if (!URL.canParse(location)) throw new ModelError(`${where}: not a URL, and no local path was given`);
  const base = new URL(location);
  const folder = new URL('.', base).href;
  return {
    modelJson: (max) => fetchCapped(base.href, `${where}: model.json`, max, timeoutMs),
    weight: async (p, max) => {
      const url = new URL(p, base);
      if (!url.href.startsWith(folder)) throw new ModelError(`${where}: weight file "${p}" resolves to ${url.href}, outside ${folder}`);
      return fetchCapped(url.href, `${where}: weight file "${p}"`, max, timeoutMs);
    },
  };
}

async function fetchCapped(url: string, what: string, maxBytes: number, timeoutMs: number): Promise<Uint8Array | null> {
  const signal = AbortSignal.timeout(timeoutMs);
  const fail = (err: unknown) => {
    const e = err as Error;
    const why = signal.aborted ? `timed out after ${timeoutMs / 1000} s` : ((e.cause as Error | undefined)?.message ?? e.message);
    return new ModelError(`${what}: could not download ${url}: ${why}`, { cause: err });
  };
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (err) {
    throw fail(err);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new ModelError(`${what}: ${url} answered HTTP ${res.status} ${res.statusText}`.trimEnd());
  }
  if (new URL(res.url || url).protocol !== new URL(url).protocol) {
    await res.body?.cancel().catch(() => undefined);
    throw new ModelError(`${what}: ${url} redirected to ${res.url}, another protocol`);
  }
  // Saves reading a body that is too long; readBody would stop past maxBytes anyway.
  // Equivalent mutants: forcing this false, or emptying the block, still returns null, only later.
  if (Number(res.headers.get('content-length')) > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return null;
  }
  try {
    return await readBody(res, maxBytes);
  } catch (err) {
    throw fail(err);
  }
}

/** Stops reading once past `maxBytes`: the caller only needs to know it was too long. */
async function readBody(res: Response, maxBytes: number): Promise<Uint8Array | null> {
  if (!res.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
  }
  return Buffer.concat(parts);
}
