// The GPU runs of bench/gpu.mjs in RESULTS.md: one row per backend and run, naming the device.
const s = (x) => (x?.wall_s === undefined ? '-' : `${x.wall_s.toFixed(1)} s`);
const pct = (x) => (x === undefined ? '-' : `${(x * 100).toFixed(2)} %`);

export function gpuMarkdown(runs) {
  if (!runs?.length) return '';
  const rows = runs.flatMap((run) => [
    ...run.results.map(
      (r) =>
        `| ${run.date.slice(0, 16).replace('T', ' ')} | ${run.machine.commit ?? '-'} | ${r.device} | ${s(r.job_cold)} | ${s(r.job_warm)} | ${pct(r.job_cold.accuracy)} | ${s(r.two_phase)} | ${pct(r.two_phase.accuracy)} |`,
    ),
    ...run.skipped.map(
      (k) =>
        `| ${run.date.slice(0, 16).replace('T', ' ')} | ${run.machine.commit ?? '-'} | ${k.backend}: not run (${k.why}) | - | - | - | - | - |`,
    ),
  ]);
  const last = runs[runs.length - 1];
  return [
    '',
    '## GPU runs',
    '',
    `\`bench/gpu.sh\` (bench/gpu.mjs): the job above (${last.job.train} train / ${last.job.validation} validation / ${last.job.test} test, ${last.job.data}) cold and warm, and the two-phase example, each a whole \`finetune run --require-gpu\` from start to exit. The device is the report's \`fingerprint.device\`.`,
    '',
    '| date (UTC) | commit | device | job cold | job warm | job accuracy | two-phase | two-phase accuracy |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
