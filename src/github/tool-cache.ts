// The runner's tool cache and exec, handed to backend/ (native-locate.ts) so that tfjs-node can be
// installed once per self-hosted runner; only the Action registers it.
import * as tc from '@actions/tool-cache';
import { exec } from '@actions/exec';
import { useToolCache, type ToolCache } from '../backend/native-locate.js';

export const runnerToolCache: ToolCache = {
  find: (tool, version) => tc.find(tool, version),
  cacheDir: (dir, tool, version) => tc.cacheDir(dir, tool, version),
  run: (command, args) => exec(command, args, { ignoreReturnCode: true }),
};

/** Called at the start of the Action and of its training process. */
export function registerRunnerToolCache(): void {
  useToolCache(runnerToolCache);
}
