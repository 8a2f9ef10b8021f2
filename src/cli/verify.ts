import { verifyBundle } from '../bundle/manifest.js';
import type { Logger } from '../util/log.js';
import { EXIT } from '../errors.js';

export async function verifyCommand(dir: string, log: Logger): Promise<number> {
  const check = await verifyBundle(dir);
  if (check.ok) {
    log.info(`${dir}: OK, every file matches sha256sums.txt`);
    return EXIT.PASS;
  }
  log.warn(`${dir}: bundle does not verify:\n${check.problems.map((p) => `  ${p}`).join('\n')}`);
  return EXIT.GATE_FAILED;
}
