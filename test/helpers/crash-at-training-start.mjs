// Preloaded into the processes of the crash tests only (NODE_OPTIONS=--import, see crashEnv in
// crash-hook.ts): FINETUNE_TEST_CRASH makes the process die the way native code does when training
// starts (abort: SIGABRT; exit: a plain exit 70 with no report).
const how = process.env.FINETUNE_TEST_CRASH;
if (how) {
  process.on('finetune:training-start', () => {
    process.stderr.write(`FINETUNE_TEST_CRASH=${how}: crashing at the start of training\n`);
    if (how === 'abort') process.abort();
    if (how === 'exit') process.exit(70);
  });
}
