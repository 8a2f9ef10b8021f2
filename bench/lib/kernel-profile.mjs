// Time per kernel of one backend: every registered kernel is wrapped with a timer while `run`
// runs. Self time excludes the kernels a kernel runs inside itself (the wasm gradient kernels are
// made of other ops), so the self times add up to the time spent in kernels.
import { performance } from 'node:perf_hooks';

/** Runs `run` with every kernel of `backend` timed; returns [{kernel, calls, self_ms, total_ms, shapes}]. */
export async function profileKernels(tf, backend, run) {
  const configs = tf.getKernelsForBackend(backend);
  const stats = new Map();
  const stack = [];
  for (const config of configs) {
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({ ...config, kernelFunc: timedKernel(config) });
  }
  try {
    await run();
  } finally {
    for (const config of configs) {
      tf.unregisterKernel(config.kernelName, backend);
      tf.registerKernel(config);
    }
  }
  return [...stats.values()].sort((a, b) => b.self_ms - a.self_ms);

  function timedKernel(config) {
    return (params) => {
      const frame = { children: 0 };
      stack.push(frame);
      const start = performance.now();
      try {
        return config.kernelFunc(params);
      } finally {
        const total = performance.now() - start;
        stack.pop();
        if (stack.length) stack[stack.length - 1].children += total;
        record(config.kernelName, params, total, total - frame.children);
      }
    };
  }

  function record(kernel, params, total, self) {
    const s = stats.get(kernel) ?? { kernel, calls: 0, self_ms: 0, total_ms: 0, shapes: new Map() };
    s.calls += 1;
    s.self_ms += self;
    s.total_ms += total;
    const key = Object.values(params.inputs)
      .map((t) => (t ? `[${t.shape.join(',')}]` : '-'))
      .join(' ');
    s.shapes.set(key, (s.shapes.get(key) ?? 0) + self);
    stats.set(kernel, s);
  }
}

/** Time in kernels per step, and the n kernels with the most self time, as plain rows (ms per step). */
export function summariseKernels(rows, steps, n = 12) {
  const sum = (key) => rows.reduce((a, r) => a + r[key], 0) / steps;
  return {
    totals: { kernel_ms_per_step: +sum('self_ms').toFixed(2), kernel_calls_per_step: sum('calls') },
    kernels: rows.slice(0, n).map((r) => ({
      kernel: r.kernel,
      calls_per_step: r.calls / steps,
      self_ms_per_step: +(r.self_ms / steps).toFixed(2),
      total_ms_per_step: +(r.total_ms / steps).toFixed(2),
      slowest_inputs: [...r.shapes.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([shapes, ms]) => `${shapes}: ${(ms / steps).toFixed(1)} ms`),
    })),
  };
}
