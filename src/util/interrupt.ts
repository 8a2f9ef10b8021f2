// A cancelled job (the runner sends SIGINT, then SIGTERM ~7 s later) should still leave a report:
// the first signal asks the pipeline to stop and write what it has; a second one exits at once.
import type { Logger } from './log.js';

export function onInterrupt(log: Logger): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
    log.warn(`${sig} received: stopping, keeping the best epoch so far and writing a report marked interrupted`);
    controller.abort(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
