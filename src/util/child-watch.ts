// Waits for a child process that may die in native code: its stderr is passed through and its last
// lines kept, cancels (SIGINT, SIGTERM) are passed on to it, and its end is told as exit code or
// signal. Used for the training process of the Action and of the CLI.
import type { ChildProcess } from 'node:child_process';
import { LineTail } from './line-tail.js';

const STDERR_LINES = 30;

export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Its last stderr lines. */
  stderrTail: string[];
  /** Set when a cancel was passed on to it. */
  cancelledBy?: NodeJS.Signals;
}

/** `child` must have been started with stderr piped. */
export async function watchChild(child: ChildProcess): Promise<ChildEnd> {
  const tail = new LineTail(STDERR_LINES);
  child.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail.push(chunk.toString());
  });
  let cancelledBy: NodeJS.Signals | undefined;
  const forward = (sig: NodeJS.Signals) => {
    cancelledBy = sig;
    child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve({ code: c, signal: s }));
    });
    return { code, signal, stderrTail: tail.lines(), cancelledBy };
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}
