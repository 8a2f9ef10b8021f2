// Reads a base model (model.json + weight files) from the repository or an https URL, checking
// the manifest before reading any weights.
import fs from 'node:fs';
import path from 'node:path';
import { ModelError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { validateManifest, type WeightSpec } from './weights-manifest.js';

export interface ModelSource {
  /** Where it came from, as the user wrote it. */
  location: string;
  modelTopology: unknown;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
  /** sha256 over model.json and every weight byte. */
  sha256: string;
}

const FETCH_TIMEOUT_MS = 60_000;

export async function readModelSource(location: string, localPath?: string): Promise<ModelSource> {
  const readText = localPath ? () => readLocal(localPath, location) : () => fetchBytes(location, location);
  const jsonBytes = await readText();
  const modelJson = parseModelJson(jsonBytes, location);
  const { groups, specs, totalBytes } = validateManifest(modelJson.weightsManifest, location);
  const chunks: Uint8Array[] = [];
  for (const group of groups) {
    for (const p of group.paths) {
      chunks.push(localPath ? readLocalWeight(localPath, p) : await fetchBytes(new URL(p, location).href, `${location}: ${p}`));
    }
  }
  const data = Buffer.concat(chunks);
  if (data.length !== totalBytes) {
    throw new ModelError(`${location}: weight files hold ${data.length} bytes, the manifest's shapes declare ${totalBytes}`);
  }
  const hash = sha256(Buffer.concat([Buffer.from(jsonBytes), data]));
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer;
  return { location, modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData, sha256: hash };
}

function parseModelJson(bytes: Uint8Array, where: string): { modelTopology: unknown; weightsManifest: unknown } {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ModelError(`${where}: not valid JSON (${(err as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ModelError(`${where}: expected a JSON object`);
  const topo = json.modelTopology as Record<string, unknown> | undefined;
  if (json.format === 'graph-model' || (topo && 'node' in topo)) {
    throw new ModelError(`${where}: this is a TF.js GraphModel (inference only); fine-tuning needs a LayersModel (format "layers-model")`);
  }
  if (!topo) throw new ModelError(`${where}: no "modelTopology"; is this a TF.js LayersModel model.json?`);
  if (!json.weightsManifest) throw new ModelError(`${where}: no "weightsManifest"`);
  return { modelTopology: topo, weightsManifest: json.weightsManifest };
}

function readLocal(file: string, where: string): Uint8Array {
  if (!fs.existsSync(file)) throw new ModelError(`model.base: ${where} does not exist`);
  return fs.readFileSync(file);
}

/** Weight paths were checked to stay inside the folder; a symlink must not lead out of it either. */
function readLocalWeight(modelJsonPath: string, relPath: string): Uint8Array {
  const dir = fs.realpathSync(path.dirname(modelJsonPath));
  const file = path.join(dir, relPath);
  if (!fs.existsSync(file)) throw new ModelError(`model.base: weight file "${relPath}" is missing next to ${modelJsonPath}`);
  const real = fs.realpathSync(file);
  if (real !== dir && !real.startsWith(dir + path.sep)) {
    throw new ModelError(`model.base: weight file "${relPath}" resolves outside the model's folder`);
  }
  return fs.readFileSync(real);
}

async function fetchBytes(url: string, where: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
  } catch (err) {
    const e = err as Error;
    const why = e.name === 'TimeoutError' ? `timed out after ${FETCH_TIMEOUT_MS / 1000} s` : e.message;
    throw new ModelError(`model.base: could not download ${where}: ${why}`);
  }
  if (!res.ok) throw new ModelError(`model.base: ${where} answered HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}
