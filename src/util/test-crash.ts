// Native code (libtensorflow, Dawn) can kill the process without a word; the Action must still
// leave a report. This hook lets the tests make the training process die that way on purpose.

/**
 * A test hook: FINETUNE_TEST_CRASH makes the process die the way native code does at the start of
 * training (abort: SIGABRT, exit: a plain exit 70 with no report), so the Action's
 * crash handling can be tested without a crashing native library.
 */
export function crashIfAsked(env: NodeJS.ProcessEnv): void {
  const how = env.FINETUNE_TEST_CRASH;
  if (!how) return;
  process.stderr.write(`FINETUNE_TEST_CRASH=${how}: crashing at the start of training\n`);
  if (how === 'abort') process.abort();
  if (how === 'exit') process.exit(70);
}
