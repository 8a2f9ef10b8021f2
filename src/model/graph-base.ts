// A TF.js GraphModel (what tensorflowjs_converter makes from a SavedModel or a TF Hub module) as the
// frozen base of image-classification. model.cut names an output node of the graph; the features
// are that node's output for the preprocessed batch, averaged over height and width when spatial,
// exactly as for a LayersModel base. A graph has no layers to unfreeze: phase two stays
// LayersModel-only.
import { tf } from '../backend/tf.js';
import { ConfigError, ModelError } from '../errors.js';
import type { DecodedImage } from '../data/types.js';
import { imagesToTensor, type Preprocess } from '../features/preprocess.js';
import type { CutCandidate } from './cut-candidates.js';
import type { ModelSource } from './source.js';

export interface GraphBackbone {
  kind: 'graph';
  graph: tf.GraphModel;
  /** The output node the features come from (a node name, ":0" removed). */
  cut: string;
  /** [height, width, channels] the graph is fed. */
  inputShape: [number, number, number];
  /** The cut node's output shape without the batch dimension, at that input size. */
  outputShape: number[];
  featureDim: number;
  /** Weights of the graph (all frozen). */
  params: number;
}

interface GraphNode {
  name: string;
  op: string;
}

/** Ops that compute nothing from the image: never a cut. */
const NOT_A_CUT = new Set(['Const', 'Placeholder', 'PlaceholderWithDefault', 'NoOp']);

/** A node name as model.cut may give it: "name" or "name:0" (the node's first output). */
export function cutNodeName(cut: string): string {
  return cut.replace(/:0$/, '');
}

export async function buildGraphBackbone(
  source: ModelSource,
  opts: { cut?: string; size?: [number, number]; channels: number },
): Promise<GraphBackbone> {
  const where = `model.base (${source.location})`;
  let graph: tf.GraphModel;
  try {
    graph = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: source.modelTopology as object,
        weightSpecs: source.weightSpecs,
        weightData: source.weightData,
        signature: source.signature as object | undefined,
      }),
    );
  } catch (err) {
    throw new ModelError(`${where}: the graph could not be loaded: ${(err as Error).message}`);
  }
  try {
    return await describeGraph(graph, source, opts, where);
  } catch (err) {
    graph.dispose();
    throw err;
  }
}

async function describeGraph(
  graph: tf.GraphModel,
  source: ModelSource,
  opts: { cut?: string; size?: [number, number]; channels: number },
  where: string,
): Promise<GraphBackbone> {
  if (graph.inputs.length !== 1) {
    throw new ModelError(
      `${where}: an image base takes one input, this graph takes ${graph.inputs.length} (${graph.inputs.map((i) => `"${i.name}"`).join(', ')})`,
    );
  }
  const own = graph.inputs[0].shape ?? [];
  if (own.length !== 4)
    throw new ModelError(
      `${where}: the graph's input "${graph.inputs[0].name}" must be an image batch [n, height, width, channels], got shape [${own.join(', ')}]`,
    );
  const known = (d: number | undefined) => (d !== undefined && d > 0 ? d : undefined);
  if (known(own[3]) !== undefined && own[3] !== opts.channels)
    throw new ModelError(`model.input.channels: the base takes ${own[3]} channels, the spec says ${opts.channels}`);
  const size: [number, number] = opts.size ?? [known(own[1]) ?? 224, known(own[2]) ?? 224];
  for (const [i, axis] of [
    [1, 'height'],
    [2, 'width'],
  ] as const) {
    const d = known(own[i]);
    if (d !== undefined && d !== size[i - 1])
      throw new ModelError(`model.input.size: the graph's input has a fixed ${axis} of ${d}, the spec asks for ${size[i - 1]}`);
  }
  const nodes = graphNodes(source);
  const cut = opts.cut !== undefined ? cutNodeName(opts.cut) : cutNodeName(graph.outputs[0]?.name ?? nodes.at(-1)?.name ?? '');
  if (!nodes.some((n) => n.name === cut && !NOT_A_CUT.has(n.op))) {
    const names = candidateNodes(source).map((n) => n.name);
    const shown = names.length > 8 ? [...names.slice(-8), `... ${names.length - 8} more`] : names;
    throw new ConfigError(
      `model.cut: no node "${opts.cut ?? cut}" in the graph that computes from the image (nodes, last first: ${shown.reverse().join(', ')}; \`finetune validate\` lists them with shapes)`,
    );
  }
  const inputShape: [number, number, number] = [size[0], size[1], opts.channels];
  const probe = await runNodes(graph, [cut], inputShape).catch((err: unknown) => {
    throw new ModelError(`${where}: the graph could not run to node "${cut}" at ${size.join('x')}: ${(err as Error).message}`);
  });
  const outputShape = probe[0];
  if (outputShape.length !== 1 && outputShape.length !== 3) {
    throw new ModelError(
      `model.cut: node "${cut}" gives [${outputShape.join(', ')}] per image; a cut must give a feature vector or a [height, width, channels] map`,
    );
  }
  const featureDim = outputShape[outputShape.length - 1];
  const params = source.weightSpecs.reduce((sum, w) => (w.dtype === 'float32' ? sum + w.shape.reduce((a, b) => a * b, 1) : sum), 0);
  return { kind: 'graph', graph, cut, inputShape, outputShape, featureDim, params };
}

/** The GraphDef's nodes in file order (converters write them inputs first). */
function graphNodes(source: ModelSource): GraphNode[] {
  const topo = source.modelTopology as { node?: Array<{ name?: unknown; op?: unknown }> };
  return (topo.node ?? []).map((n) => ({ name: String(n.name), op: String(n.op) }));
}

function candidateNodes(source: ModelSource): GraphNode[] {
  return graphNodes(source).filter((n) => !NOT_A_CUT.has(n.op));
}

/**
 * Runs the graph to the named nodes: synchronously when it can (no control flow or dynamic shapes),
 * else asynchronously, which such graphs need.
 */
async function runGraph(graph: tf.GraphModel, x: tf.Tensor, outputs: string[]): Promise<tf.Tensor[]> {
  let out: tf.Tensor | tf.Tensor[];
  try {
    out = graph.execute(x, outputs);
  } catch (err) {
    if (!/executeAsync/.test((err as Error).message)) throw err;
    out = await graph.executeAsync(x, outputs);
  }
  return Array.isArray(out) ? out : [out];
}

/** Shapes (without the batch) of the nodes' first outputs for one zero image. */
async function runNodes(graph: tf.GraphModel, names: string[], inputShape: [number, number, number]): Promise<number[][]> {
  const x = tf.zeros([1, ...inputShape]);
  try {
    const list = await runGraph(graph, x, names);
    const shapes = list.map((t) => t.shape.slice(1));
    tf.dispose(list);
    return shapes;
  } finally {
    x.dispose();
  }
}

/**
 * The nodes model.cut can name, bottom to top, with their output shapes for one image at the spec's
 * input size: one run of the graph on a zero image. Nodes that give no float tensor of rank 2 or 4
 * (shapes, indices) cannot be features and are left out.
 */
export async function graphCutCandidates(backbone: GraphBackbone, source: ModelSource): Promise<CutCandidate[]> {
  const nodes = candidateNodes(source);
  const x = tf.zeros([1, ...backbone.inputShape]);
  const usable = (t: tf.Tensor) => t.dtype === 'float32' && (t.rank === 2 || t.rank === 4);
  try {
    let list: Array<tf.Tensor | undefined>;
    try {
      list = await runGraph(
        backbone.graph,
        x,
        nodes.map((n) => n.name),
      );
    } catch {
      // Some node cannot be fetched as an output (inside a control-flow frame): one node at a time.
      list = [];
      for (const n of nodes)
        list.push(
          await runGraph(backbone.graph, x, [n.name]).then(
            (t) => t[0],
            () => undefined,
          ),
        );
    }
    const found = nodes.flatMap((n, i) => {
      const t = list[i];
      return t && usable(t) ? [{ name: n.name, shape: t.shape.slice(1) }] : [];
    });
    tf.dispose(list.filter((t): t is tf.Tensor => t !== undefined));
    return found;
  } finally {
    x.dispose();
  }
}

/** One batch of decoded images through the graph to the cut, pooled: one row of featureDim per image. */
export async function forwardGraph(backbone: GraphBackbone, images: DecodedImage[], pre: Preprocess): Promise<Float32Array> {
  const x = imagesToTensor(images, pre);
  let y: tf.Tensor;
  try {
    [y] = await runGraph(backbone.graph, x, [backbone.cut]);
  } finally {
    x.dispose();
  }
  // A spatial output is averaged over height and width (global average pooling), as for LayersModels.
  const pooled = y.rank === 4 ? tf.tidy(() => y.mean([1, 2])) : y;
  const values = (await pooled.data()) as Float32Array;
  tf.dispose([y, pooled]);
  return values;
}
