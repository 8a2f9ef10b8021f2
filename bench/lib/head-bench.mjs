// The head's training step: ours as arrays in our kernels and as TF.js ops (bench/head-step.mjs,
// wasm, one process per round) against PyTorch (bench/head_step.py, 2 threads), alternating. See
// bench/README.md.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadAverage, machine } from './measure.mjs';
import { updateResults } from './results.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function headStepBenchmark({ root, work, python, steps = 300, rounds = 3 }) {
  const startMachine = machine();
  const ours = [];
  const pytorch = [];
  for (let r = 0; r < rounds; r++) {
    const json = path.join(work, `head-step-${r + 1}.json`);
    const load = loadAverage();
    run(process.execPath, [path.join(root, 'bench/head-step.mjs'), '--steps', String(steps), '--rounds', '1', '--json', json]);
    ours.push({ ...JSON.parse(fs.readFileSync(json, 'utf8')), load_average_before: load });
    const torchLoad = loadAverage();
    const res = run(python, [path.join(root, 'bench/head_step.py'), String(steps), '1'], { OMP_NUM_THREADS: '2' });
    pytorch.push({ ...JSON.parse(res.stdout.trim().split('\n').at(-1)), load_average_before: torchLoad });
    console.log(
      `head step, round ${r + 1}: ours as arrays ${ours[r].arrays_ms[0]} ms, as TF.js ops ${ours[r].tensors_ms[0]} ms, PyTorch ${pytorch[r].rounds_ms[0]} ms`,
    );
  }
  const [arrays, tensors, torch] = [
    median(ours.map((o) => o.arrays_ms[0])),
    median(ours.map((o) => o.tensors_ms[0])),
    median(pytorch.map((p) => p.rounds_ms[0])),
  ];
  const record = {
    date: new Date().toISOString(),
    machine: startMachine,
    head: ours[0].head,
    steps,
    rounds,
    ms_per_step: { ours_arrays: arrays, ours_tensors: tensors, pytorch: torch },
    ratios: { arrays_to_pytorch: +(arrays / torch).toFixed(2), arrays_to_tensors: +(arrays / tensors).toFixed(2) },
    rounds_ms: {
      ours_arrays: ours.map((o) => o.arrays_ms[0]),
      ours_tensors: ours.map((o) => o.tensors_ms[0]),
      pytorch: pytorch.map((p) => p.rounds_ms[0]),
    },
    load_average_before: { ours: ours.map((o) => o.load_average_before), pytorch: pytorch.map((p) => p.load_average_before) },
    losses: ours[0].losses,
    threads: { ours: 1, pytorch: pytorch[0].threads },
    torch: pytorch[0].torch,
  };
  updateResults(path.join(root, 'bench'), (data) => {
    data.head_step ??= {
      what: 'one training step of the head alone: ours as arrays and as TF.js ops (wasm), PyTorch (2 threads)',
      runs: [],
    };
    data.head_step.runs.push(record);
  });
  return record;
}

function run(cmd, args, env = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20 });
  if (res.status !== 0) throw new Error(`${path.basename(args[0])} failed (${res.status}):\n${res.stderr}`);
  return res;
}

/** The RESULTS.md section (results.json `head_step`): the latest run, then one line per run. */
export function headStepMarkdown(section) {
  if (!section?.runs?.length) return '';
  const r = section.runs[section.runs.length - 1];
  const h = r.head;
  const m = r.ms_per_step;
  const loads = (ls) => ls.map((l) => l[0].toFixed(2)).join(', ');
  const lines = section.runs.map(
    (x) =>
      `| ${x.date.slice(0, 16).replace('T', ' ')} | ${x.ms_per_step.ours_arrays} ms | ${x.ms_per_step.ours_tensors} ms | ${x.ms_per_step.pytorch} ms | ${x.ratios.arrays_to_pytorch} | ${x.ratios.arrays_to_tensors} |`,
  );
  return `
## Head training step

One training step of the head alone (${h.dim} -> ${h.hidden} -> ${h.classes}, ReLU, dropout ${h.dropout}, softmax cross-entropy, Adam, batch ${h.batch}): the head of the job above. Latest run: ${r.date}; load average when it started: ${r.machine.load_average.join(', ')}. Ours on wasm, 1 thread, both ways finetune-action can train it: as arrays in its own WebAssembly kernels (what wasm and cpu use) and as TF.js ops (what the other backends use), alternating in one process from the same weights and batches. PyTorch ${r.torch}, ${r.threads.pytorch} threads. Each time is the median over ${r.rounds} rounds (one process each, ours and PyTorch alternating) of ${r.steps} steps after 30 untimed ones.

| | ms per step | rounds | load average before |
|---|---|---|---|
| ours, as arrays in our kernels | ${m.ours_arrays} | ${r.rounds_ms.ours_arrays.join(' / ')} | ${loads(r.load_average_before.ours)} |
| ours, as TF.js ops | ${m.ours_tensors} | ${r.rounds_ms.ours_tensors.join(' / ')} | |
| PyTorch | ${m.pytorch} | ${r.rounds_ms.pytorch.join(' / ')} | ${loads(r.load_average_before.pytorch)} |

Ours as arrays: ${r.ratios.arrays_to_pytorch}x PyTorch's time per step, ${r.ratios.arrays_to_tensors}x the TF.js ops'. The two ways compute the same function: their losses over the first ${r.losses.steps_compared} steps differ by at most ${r.losses.max_abs_diff.toExponential(1)}.

| date (UTC) | ours, arrays | ours, TF.js ops | PyTorch | arrays / PyTorch | arrays / TF.js ops |
|---|---|---|---|---|---|
${lines.join('\n')}
`;
}
