// What a runner gives an Action step: inputs as INPUT_* variables, and the files GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY name, read back after the step.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface StepFiles {
  env: Record<string, string>;
  /** The outputs the step set, and its job summary. */
  results(): { outputs: Record<string, string>; summary: string };
}

export function actionStep(repo: string, inputs: Record<string, string>, extraEnv: Record<string, string> = {}): StepFiles {
  const outputFile = path.join(repo, 'github_output');
  const summaryFile = path.join(repo, 'step_summary');
  fs.writeFileSync(outputFile, '');
  fs.writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.homedir(),
    GITHUB_WORKSPACE: repo,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REPOSITORY: 'octo/repo',
    FINETUNE_CACHE_DIR: path.join(repo, '.cache'),
    ...extraEnv,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  return {
    env,
    results: () => ({ outputs: parseOutputs(fs.readFileSync(outputFile, 'utf8')), summary: fs.readFileSync(summaryFile, 'utf8') }),
  };
}

/** Parses the `name<<delimiter` blocks @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) out[m[1]] = m[3];
  return out;
}
