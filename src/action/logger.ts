import * as core from '@actions/core';
import type { Logger } from '../util/log.js';

/** Warnings become annotations; a location puts them on the spec's line. */
export const actionsLogger: Logger = {
  info: (m) => core.info(m),
  progress: (m) => core.info(m),
  warn: (m, where) => core.warning(m, where?.file ? { file: where.file, startLine: where.line } : undefined),
};
