// The RESULTS.md section of the partial backbone fine-tune step (results.json
// `partial_finetune_step`): the latest run in full, then one line per run.

const ms = (x) => `${x.toFixed(1)} ms`;
const load = (runs) => runs.map((l) => l[0].toFixed(2)).join(', ');
const sci = (x) => x.toExponential(1);

export function stepMarkdown(section) {
  if (!section?.runs?.length) return '';
  const r = section.runs[section.runs.length - 1];
  const s = r.step;
  const modes = Object.entries(r.modes);
  const bnName = { batch: 'batch statistics (training mode)', inference: 'moving averages (inference mode)' };
  const timing = modes.map(
    ([bn, m]) =>
      `| ${bnName[bn] ?? bn} | ${ms(m.ours_ms)} | ${ms(m.pytorch_ms)} | ${m.ratio.toFixed(2)} | ${m.target.met ? 'met' : 'NOT met'} | ${m.ours.rounds_ms.map((x) => x.toFixed(0)).join(' / ')} | ${m.pytorch.rounds_ms.map((x) => x.toFixed(1)).join(' / ')} | ${ms(m.ours.forward_ms)} / ${ms(m.ours.backward_ms)} / ${ms(m.ours.update_ms)} | ${ms(m.pytorch.forward_ms)} / ${ms(m.pytorch.backward_ms)} / ${ms(m.pytorch.update_ms)} | ${load(m.ours.load_average_before)} / ${load(m.pytorch.load_average_before)} |`,
  );
  const losses = modes.map(
    ([bn, m]) =>
      `| ${bn} | ${m.loss.ours[0].toFixed(6)} / ${m.loss.pytorch[0].toFixed(6)} | ${m.loss.ours[1].toFixed(6)} / ${m.loss.pytorch[1].toFixed(6)} | ${sci(m.loss.abs_diff_before)} | ${sci(m.loss.abs_diff_after_one_step)} | ${sci(m.loss.max_abs_diff_all_steps)} (${m.loss.steps_compared} steps) |`,
  );
  const profiles = modes.map(([bn, m]) => {
    const p = m.profile;
    const rows = p.kernels.map(
      (k) => `| ${k.kernel} | ${k.self_ms_per_step.toFixed(1)} | ${k.calls_per_step} | ${k.slowest_inputs.join('; ')} |`,
    );
    return `Ours, BatchNorm ${bn}: a profiled run (${p.ms_per_step.toFixed(0)} ms/step with the timers, load ${p.load_average_before[0].toFixed(2)}) spent ${p.kernel_ms_per_step.toFixed(0)} ms/step inside ${p.kernel_calls_per_step} kernel calls; the rest is the engine and the gradient tape in JavaScript.

| kernel | self ms/step | calls/step | slowest inputs (ms/step) |
|---|---|---|---|
${rows.join('\n')}
`;
  });
  const wanted = Number(section.target.match(/<= (\S+)x/)?.[1] ?? 2);
  const verdict = modes.every(([, m]) => m.target.met) ? 'met' : modes.some(([, m]) => m.target.met) ? 'met in part' : 'NOT met';
  const needed = modes.map(
    ([bn, m]) => `${bn} ${m.ratio.toFixed(2)}x, <= ${wanted}x means <= ${ms(m.pytorch_ms * wanted)} against our ${ms(m.ours_ms)}`,
  );
  const history = section.runs.map((h) => {
    const cells = Object.entries(h.modes).map(([bn, m]) => `${bn}: ${ms(m.ours_ms)} / ${ms(m.pytorch_ms)} = ${m.ratio.toFixed(2)}`);
    return `| ${h.date.slice(0, 16).replace('T', ' ')} | ${cells.join('; ')} | ${h.machine.load_average[0].toFixed(2)} |`;
  });
  return `
## Partial backbone fine-tune step

Target: ${section.target}. Latest run: ${r.date}, commit ${r.machine.commit ?? 'unknown'}, Node ${r.machine.node}, PyTorch ${r.input.torch}; load average when it started: ${r.machine.load_average.join(', ')}.

One training step (forward, backward, Adam update, loss read back) of the blocks ${s.blocks.join(', ')} (\`${s.from}\` .. \`${s.to}\`, ${r.trainable_params.ours.toLocaleString('en')} trainable parameters on our side, ${r.trainable_params.pytorch.toLocaleString('en')} in PyTorch's \`${r.input.torch_modules}\`) plus global average pooling and Dense 10, at ${s.size} px, batch ${s.batch}: the first ${s.batch} Fashion-MNIST training images, taken through the frozen layers below once, so the step starts from the activations at \`${r.input.split}\` ([${r.input.shape.join(', ')}]). Ours: wasm; TF.js's own kernels run one thread in Node, the products, sums and gradient passes in finetune-action's kernels ${r.threads.ours} (\`FINETUNE_WORKERS\`). PyTorch: ${r.threads.pytorch} threads, ${r.input.layout} layout. Each time is the median of ${s.steps} steps after one untimed step, the median of ${s.rounds} rounds (ours and PyTorch alternate).

Where the target stands: ${verdict} (${needed.join('; ')}).

| BatchNorm | ours (wasm) | PyTorch | ratio | <= ${wanted}x | ours per round | PyTorch per round | ours forward / backward / update | PyTorch forward / backward / update | load average before (ours / PyTorch) |
|---|---|---|---|---|---|---|---|---|---|
${timing.join('\n')}

Same work on both sides: from the same weights and batch, the losses of the two (loss before the first update / after it, ours / PyTorch):

| BatchNorm | loss, step 1 | loss, step 2 | \\|diff\\| step 1 | \\|diff\\| step 2 | largest \\|diff\\| |
|---|---|---|---|---|---|
${losses.join('\n')}

The activations at the split from PyTorch's own frozen \`features[]\` differ from ours by at most ${sci(Math.max(...modes.map(([, m]) => m.split_max_abs_diff)))} (they reach ${modes[0][1].split_max_activation.toFixed(1)}).

Where our step's time goes:

${profiles.join('\n')}
| date (UTC) | ours / PyTorch per step = ratio | load average |
|---|---|---|
${history.join('\n')}
`;
}
