// The report of a run whose training process died without sending a result: no metrics, a failed
// verdict, and how it died, so the Action's step or the CLI still leaves report.json (and the step
// its outputs and job summary).
import type { CrashInfo, Report } from '../domain/types.js';
import { crashCause } from '../report/crash.js';
import { modelessReport } from './training-failure.js';
import type { RunPlan } from './run-plan.js';

export interface CrashFacts {
  signal: string | null;
  code: number | null;
  stderrTail: string[];
  /** The backend it chose, when it got that far; else the one requested. */
  backend: string;
  /** Set when a cancel was passed on to it before it died. */
  cancelledBy?: string;
  seconds: number;
}

/** What to try next, from the backend and what the process last said. */
export function crashRemedy(f: Pick<CrashFacts, 'backend' | 'stderrTail' | 'cancelledBy'>): string {
  const said = f.stderrTail.join('\n');
  if (f.cancelledBy) return `nothing: the job was cancelled (${f.cancelledBy}) and the training process stopped before writing a report`;
  if (/heap limit|JavaScript heap out of memory/i.test(said)) {
    return "the JavaScript heap ran out: lower model.input.size or the number of images, or raise the limit with NODE_OPTIONS=--max-old-space-size=<MB> in the step's env";
  }
  switch (f.backend) {
    case 'tensorflow':
      return 'libtensorflow (tfjs-node) crashed in native code: try backend: wasm';
    case 'tensorflow-gpu':
      return 'libtensorflow (tfjs-node-gpu) crashed in native code: check CUDA 11.2 / cuDNN 8.1 and the GPU driver, or try backend: webgpu or backend: wasm';
    case 'webgpu':
      return 'Dawn / the Vulkan driver crashed: try backend: wasm (or tensorflow-gpu), or update the GPU driver';
    case 'cpu':
      return 'try backend: wasm; if it crashes too, please report it with the stderr lines above';
    default:
      return 'try backend: cpu; if it crashes too, please report it with the stderr lines above';
  }
}

export function buildCrashReport(plan: RunPlan | undefined, f: CrashFacts, now: Date = new Date()): Report {
  const crash: CrashInfo = { signal: f.signal, exit_code: f.code, backend: f.backend, stderr_tail: f.stderrTail, remedy: crashRemedy(f) };
  const report = modelessReport(plan, f.backend, f.seconds, now);
  return {
    ...report,
    status: 'crashed',
    gate: { verdict: 'fail', checks: [], notes: [`the training process died (${crashCause(crash)}): nothing was evaluated`] },
    crash,
  };
}

/** The step's failure message: what died, on which backend, and the remedy (its stderr is in the log above). */
export function crashFailureMessage(r: Report): string {
  if (!r.crash) return `training failed (${r.status.replaceAll('_', ' ')}): ${r.error?.message ?? 'no details recorded'}`;
  return crashMessage(r.crash);
}

/** What died, on which backend, and the remedy, from the facts alone (a sweep writes no report). */
export function crashMessage(c: Pick<CrashInfo, 'signal' | 'exit_code' | 'backend' | 'remedy'>): string {
  return `training crashed: the training process ended with ${crashCause(c)} on backend ${c.backend}. Remedy: ${c.remedy}`;
}
